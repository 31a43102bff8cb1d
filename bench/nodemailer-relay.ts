/**
 * The baseline the relay is measured against: the relay anyone would write in an afternoon, a
 * Hono app on `@hono/node-server` whose `POST /api/send` takes the same JSON as ours and hands
 * it to Nodemailer's SMTP transport (its own MIME builder and SMTP client). `BENCH_POOL=1` keeps
 * one `pool: true` transport per user and token (at most 3 connections, as ours), otherwise a
 * transport per request, which opens a connection per message. Run in its own process, like our
 * relay; prints `{"port":N}` once listening and stops on SIGTERM.
 *
 * Environment: BENCH_SMTP_PORT (where to connect, 127.0.0.1), BENCH_CA (PEM), BENCH_POOL.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import process from 'node:process'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import nodemailer, { type Transporter } from 'nodemailer'

const port = Number(process.env['BENCH_SMTP_PORT'])
const ca = process.env['BENCH_CA'] ?? ''
const pooled = process.env['BENCH_POOL'] === '1'

interface Body {
  smtp: { host: string; security: string }
  auth: { type: string; user?: string; accessToken?: string }
  message: { from: string; to: string[]; subject?: string; text?: string }
}

function transportFor(body: Body): Transporter {
  const { auth, smtp } = body
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    tls: { ca, servername: smtp.host },
    ...(auth.type === 'xoauth2' && auth.user && auth.accessToken
      ? { auth: { type: 'OAuth2' as const, user: auth.user, accessToken: auth.accessToken } }
      : {}),
    ...(pooled ? { pool: true as const, maxConnections: 3, maxMessages: Infinity } : {}),
    logger: false,
  })
}

const transports = new Map<string, Transporter>()
const keyOf = (b: Body) =>
  createHash('sha256').update(JSON.stringify([b.auth.user, b.auth.accessToken])).digest('hex')

const app = new Hono().post('/api/send', async (c) => {
  const body = await c.req.json<Body>()
  let transport = pooled ? transports.get(keyOf(body)) : undefined
  if (!transport) {
    transport = transportFor(body)
    if (pooled) transports.set(keyOf(body), transport)
  }
  try {
    const info = await transport.sendMail({
      from: body.message.from,
      to: body.message.to,
      subject: body.message.subject,
      text: body.message.text,
    })
    return c.json({ ok: true, messageId: info.messageId, response: info.response })
  } catch (e) {
    return c.json({ ok: false, error: { message: (e as Error).message } }, 502)
  } finally {
    if (!pooled) transport.close()
  }
})

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
  process.stdout.write(JSON.stringify({ port: info.port }) + '\n')
})
process.on('SIGTERM', () => {
  for (const t of transports.values()) t.close()
  process.exit(0)
})
