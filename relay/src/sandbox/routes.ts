/**
 * The sandbox's HTTP routes, mounted by the relay at `/api/sandbox`: the inbox (JSON and page),
 * raw messages and attachments, the failure switches, and the CA certificate to trust.
 *
 * @module
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { pickLang } from './html.ts'
import type { Inbox } from './inbox.ts'
import { INBOX_CSS, inboxPage } from './inbox-page.ts'
import { applySwitches, SWITCH_NAMES, type Switches } from './switches.ts'

export interface RoutesDeps {
  inbox: Inbox
  caPem: string
  getSwitches: () => Switches
  /** Applies new switches; resolves once their effect holds (e.g. the SMTP listener closed). */
  setSwitches: (next: Switches) => void | Promise<void>
}

/** Types a browser could render on the relay's origin are sent as plain bytes instead. */
const ACTIVE_TYPES = /html|xml|svg|javascript|ecmascript/i

/** RFC 6266 §4.3 / RFC 8187: an ASCII fallback plus the UTF-8 name. */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  const utf8 = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`
}

/** The switch updates are a few names and booleans. */
const MAX_BODY_BYTES = 16 * 1024

/** Unknown names as quoted back: a few, each short (they come from the request). */
const shortList = (names: string[]) =>
  names.slice(0, 5).map((n) => (n.length > 40 ? `${n.slice(0, 40)}…` : n)).join(', ') +
  (names.length > 5 ? ', …' : '')

export function sandboxRoutes(deps: RoutesDeps): Hono {
  const app = new Hono()
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(
          {
            ok: false,
            error: {
              code: 'PAYLOAD_TOO_LARGE',
              message: 'The request body is too large.',
              hint: `Sandbox requests are at most ${MAX_BODY_BYTES} bytes.`,
            },
          },
          413,
          { Connection: 'close' },
        ),
    }),
  )
  // The contract's error shape, and its status for INVALID_REQUEST (shared/API.md: 400).
  const notFound = {
    ok: false,
    error: {
      code: 'INVALID_REQUEST',
      message: 'No such message in the sandbox inbox.',
      hint: 'The IDs are listed at GET /api/sandbox/messages.',
    },
  }

  app.get('/messages', (c) => c.json({ ok: true, messages: deps.inbox.list() }))

  app.delete('/messages', async (c) => {
    await deps.inbox.clear()
    return c.json({ ok: true })
  })

  app.get('/messages/:id', (c) => {
    const entry = deps.inbox.get(c.req.param('id'))
    return entry ? c.json({ ok: true, message: entry.summary }) : c.json(notFound, 400)
  })

  app.get('/messages/:id/raw', (c) => {
    const entry = deps.inbox.get(c.req.param('id'))
    if (!entry) return c.json(notFound, 400)
    return c.body(new Uint8Array(entry.raw), 200, {
      'content-type': 'message/rfc822',
      'content-disposition': contentDisposition(`${entry.summary.id}.eml`),
      'cache-control': 'no-store',
    })
  })

  app.get('/messages/:id/attachments/:index', (c) => {
    const entry = deps.inbox.get(c.req.param('id'))
    const attachment = entry?.parsed.attachments[Number(c.req.param('index'))]
    if (!entry || !attachment) return c.json(notFound, 400)
    const type = ACTIVE_TYPES.test(attachment.contentType) ? 'application/octet-stream' : attachment.contentType
    return c.body(new Uint8Array(attachment.content), 200, {
      'content-type': type,
      'content-disposition': contentDisposition(attachment.filename ?? `attachment-${c.req.param('index')}`),
      'cache-control': 'no-store',
    })
  })

  app.get('/switches', (c) => c.json({ ok: true, switches: deps.getSwitches() }))

  app.put('/switches', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const { next, bad } = applySwitches(deps.getSwitches(), body)
    if (bad.length) {
      return c.json(
        {
          ok: false,
          error: {
            code: 'INVALID_REQUEST',
            message: `Unknown switch or not a boolean: ${shortList(bad)}`,
            hint: `Known switches: ${SWITCH_NAMES.join(', ')}`,
          },
        },
        400
      )
    }
    await deps.setSwitches(next)
    return c.json({ ok: true, switches: next })
  })

  // The inbox page's buttons: a plain form post (no script on the page), then back to it.
  app.post('/switches', async (c) => {
    const form = await c.req.parseBody()
    const update: Record<string, boolean> = {}
    for (const [key, value] of Object.entries(form)) {
      if (value === 'true' || value === 'false') update[key] = value === 'true'
    }
    const { next, bad } = applySwitches(deps.getSwitches(), update)
    if (!bad.length) await deps.setSwitches(next)
    const lang = pickLang(c.req.query('lang'))
    return c.redirect(`inbox?lang=${lang}`, 303)
  })

  app.get('/inbox', (c) => {
    // Japanese first, like the settings page: English only when asked for with ?lang=en.
    const lang = pickLang(c.req.query('lang'))
    c.header('cache-control', 'no-store')
    return c.html(inboxPage(lang, deps.inbox.list(), deps.getSwitches()))
  })

  app.get('/inbox.css', (c) => c.body(INBOX_CSS, 200, { 'content-type': 'text/css; charset=utf-8' }))

  app.get('/ca.pem', (c) =>
    c.body(deps.caPem, 200, {
      'content-type': 'application/x-pem-file',
      'content-disposition': contentDisposition('mailkey-sandbox-ca.pem'),
    })
  )

  return app
}
