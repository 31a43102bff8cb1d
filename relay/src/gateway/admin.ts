/**
 * Admin access (shared/GATEWAY.md "Admin access"): the password (RELAY_ADMIN_PASSWORD, or chosen
 * once through the setup link printed at first start, kept as a scrypt hash), sessions in the
 * store (so any instance on one PostgreSQL knows them; the cookie holds a random value, the
 * store its SHA-256), 12 h idle expiry, a growing delay per address after failed logins, and the
 * CSRF gate for admin writes.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import {
  ADMIN_COOKIE,
  ADMIN_SESSION_IDLE_MS,
  type AdminSession,
  LoginRequest,
  SETUP_PAGE_PATH,
  SetupRequest,
  type SetupStatus,
} from '../../../src/lib/contract/gateway.ts'
import type { RelayEnv } from '../http/context.ts'
import { ApiError } from '../http/errors.ts'
import { jsonBody } from '../http/validate.ts'
import type { GatewayContext } from './context.ts'
import { hashPassword, randomCode, sameSecret, sha256, verifyPassword } from './crypto.ts'

const PASSWORD_KEY = 'admin_password_hash'
const SETUP_CODE_KEY = 'setup_code_enc'
const SETUP_PURPOSE = 'setup-code'

/** A session's last-seen time is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60_000
/** Failed logins from one address that cost nothing (typos); each further one doubles the wait. */
const FREE_FAILURES = 2
const MAX_DELAY_MS = 5 * 60_000

export function loginDelayMs(failures: number): number {
  if (failures <= FREE_FAILURES) return 0
  return Math.min(1000 * 2 ** (failures - FREE_FAILURES - 1), MAX_DELAY_MS)
}

async function getSetting(g: GatewayContext, key: string): Promise<string | undefined> {
  const row = await g.store.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst()
  return row?.value
}

/** Whether an admin password still has to be chosen. */
export async function setupNeeded(g: GatewayContext): Promise<boolean> {
  if (g.adminPassword) return false
  return (await getSetting(g, PASSWORD_KEY)) === undefined
}

/**
 * The one-time setup link while no password is set: the same code on every instance and every
 * start until it is used (kept encrypted, since it must be printed again).
 */
export async function setupLink(g: GatewayContext): Promise<string | undefined> {
  if (!(await setupNeeded(g))) return undefined
  let code: string
  const sealed = await getSetting(g, SETUP_CODE_KEY)
  if (sealed) {
    code = await g.box.open(sealed, SETUP_PURPOSE)
  } else {
    code = randomCode(24)
    const value = await g.box.seal(code, SETUP_PURPOSE)
    await g.store.db.insertInto('settings').values({ key: SETUP_CODE_KEY, value })
      .onConflict((oc) => oc.column('key').doNothing()).execute()
    // Another instance may have written its code first: print the stored one.
    code = await g.box.open((await getSetting(g, SETUP_CODE_KEY)) ?? value, SETUP_PURPOSE)
  }
  return `${g.config.publicOrigin}${SETUP_PAGE_PATH}#code=${code}`
}

function isHttps(c: Context, g: GatewayContext): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true
  if (g.config.trustProxy && c.req.header('X-Forwarded-Proto')?.split(',').at(-1)?.trim() === 'https') return true
  return g.config.publicOrigin.startsWith('https:')
}

async function startSession(c: Context, g: GatewayContext, address: string): Promise<AdminSession> {
  const value = randomCode(32)
  const now = g.now()
  await g.store.db.insertInto('admin_sessions')
    .values({ id_hash: sha256(value), created_at: now, last_seen_at: now, address })
    .execute()
  setCookie(c, ADMIN_COOKIE, value, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c, g),
    path: '/',
    maxAge: Math.floor(ADMIN_SESSION_IDLE_MS / 1000),
  })
  return { ok: true, admin: true, expiresAt: new Date(now + ADMIN_SESSION_IDLE_MS).toISOString() }
}

/** The session of this request, touched; undefined without a valid one. */
async function currentSession(c: Context, g: GatewayContext): Promise<{ idHash: string; expiresAt: number } | undefined> {
  const value = getCookie(c, ADMIN_COOKIE)
  if (!value || value.length > 100) return undefined
  const idHash = sha256(value)
  const row = await g.store.db.selectFrom('admin_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst()
  const now = g.now()
  if (!row) return undefined
  if (row.last_seen_at + ADMIN_SESSION_IDLE_MS <= now) {
    await g.store.db.deleteFrom('admin_sessions').where('id_hash', '=', idHash).execute()
    return undefined
  }
  let lastSeen = row.last_seen_at
  if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
    await g.store.db.updateTable('admin_sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute()
    lastSeen = now
  }
  return { idHash, expiresAt: lastSeen + ADMIN_SESSION_IDLE_MS }
}

const unauthorized = () =>
  new ApiError('UNAUTHORIZED', 'An admin session is needed.', {
    hint: 'Sign in on the gateway page (POST /api/admin/login with the admin password).',
  })

/**
 * Admin writes only from the relay's own page: a browser names the page's origin in `Origin`
 * (the relay's origin gate already refused foreign ones) and `Sec-Fetch-Site`; a cross-site
 * request is refused even where the cookie would not be sent (SameSite=Strict is the first
 * wall, this the second). Requests from programs carry neither header and pass.
 */
export const csrfGate = (g: GatewayContext): MiddlewareHandler<RelayEnv> =>
  async function csrfGate(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next()
    const origin = c.req.header('Origin')
    const site = c.req.header('Sec-Fetch-Site')
    const foreignOrigin = origin !== undefined && !g.config.origins.includes(origin)
    if (foreignOrigin || (site !== undefined && site !== 'same-origin' && site !== 'none')) {
      throw new ApiError('FORBIDDEN', 'Admin changes are accepted only from the gateway page itself.', {
        hint: "Open the gateway page at the relay's own address.",
      })
    }
    return next()
  }

/** Refuses a request without a valid admin session (UNAUTHORIZED). */
export const requireAdmin = (g: GatewayContext): MiddlewareHandler<RelayEnv> =>
  async function requireAdmin(c, next) {
    if (!(await currentSession(c, g))) throw unauthorized()
    return next()
  }

/** Paths under /api/admin that answer without a session. */
export const PUBLIC_ADMIN_PATHS = ['GET /setup', 'POST /setup', 'POST /login'] as const

export function adminRoutes(g: GatewayContext, clientAddress: (c: Context) => string): Hono<RelayEnv> {
  const api = new Hono<RelayEnv>()

  api.get('/setup', async (c) => {
    const body: SetupStatus = { ok: true, needed: await setupNeeded(g), passwordFromEnvironment: Boolean(g.adminPassword) }
    return c.json(body)
  })

  api.post('/setup', jsonBody(SetupRequest), async (c) => {
    const { code, password } = c.req.valid('json')
    if (!(await setupNeeded(g))) {
      throw new ApiError('CONFLICT', 'The gateway already has an admin password.', {
        hint: 'Sign in with it (POST /api/admin/login).',
      })
    }
    const sealed = await getSetting(g, SETUP_CODE_KEY)
    const expected = sealed ? await g.box.open(sealed, SETUP_PURPOSE) : undefined
    if (!expected || !sameSecret(code, expected)) {
      throw new ApiError('FORBIDDEN', 'This setup link is not valid.', {
        hint: "Use the setup link the relay printed at start (…/gateway/setup#code=…).",
      })
    }
    const hash = await hashPassword(password)
    // The code is used up by the first password written: a second request finds no row to take.
    const taken = await g.store.db.transaction().execute(async (tx) => {
      const deleted = await tx.deleteFrom('settings').where('key', '=', SETUP_CODE_KEY).where('value', '=', sealed ?? '').executeTakeFirst()
      if (Number(deleted.numDeletedRows) !== 1) return false
      await tx.insertInto('settings').values({ key: PASSWORD_KEY, value: hash }).execute()
      return true
    })
    if (!taken) throw new ApiError('CONFLICT', 'The gateway already has an admin password.', { hint: 'Sign in with it.' })
    g.log({ level: 'info', event: 'gateway.admin.setup' })
    return c.json(await startSession(c, g, clientAddress(c)))
  })

  api.post('/login', jsonBody(LoginRequest), async (c) => {
    const { password } = c.req.valid('json')
    const address = clientAddress(c)
    const now = g.now()
    const attempt = await g.store.db.selectFrom('login_attempts').selectAll().where('address', '=', address).executeTakeFirst()
    if (attempt && attempt.next_allowed_at > now) {
      const seconds = Math.ceil((attempt.next_allowed_at - now) / 1000)
      throw new ApiError('RATE_LIMITED', 'Too many failed logins from this address: wait before trying again.', {
        hint: `Try again in ${seconds} s.`,
        headers: { 'Retry-After': String(seconds) },
      })
    }
    let good = false
    if (g.adminPassword) good = sameSecret(password, g.adminPassword)
    else {
      const hash = await getSetting(g, PASSWORD_KEY)
      if (hash === undefined) {
        throw new ApiError('CONFLICT', 'No admin password has been chosen yet.', {
          hint: "Open the setup link the relay printed at start (…/gateway/setup#code=…).",
        })
      }
      good = await verifyPassword(password, hash)
    }
    if (!good) {
      const failures = (attempt?.failures ?? 0) + 1
      const next = g.now() + loginDelayMs(failures)
      await g.store.db.insertInto('login_attempts')
        .values({ address, failures, next_allowed_at: next, updated_at: g.now() })
        .onConflict((oc) => oc.column('address').doUpdateSet({ failures, next_allowed_at: next, updated_at: g.now() }))
        .execute()
      g.log({ level: 'warn', event: 'gateway.admin.login_failed', failures })
      throw new ApiError('UNAUTHORIZED', 'The admin password is not correct.', {
        hint: loginDelayMs(failures) > 0
          ? `Further attempts from this address wait ${Math.ceil(loginDelayMs(failures) / 1000)} s.`
          : 'Check the password (RELAY_ADMIN_PASSWORD, or the one chosen at setup).',
      })
    }
    if (attempt) await g.store.db.deleteFrom('login_attempts').where('address', '=', address).execute()
    return c.json(await startSession(c, g, address))
  })

  api.post('/logout', requireAdmin(g), async (c) => {
    const value = getCookie(c, ADMIN_COOKIE)
    if (value) await g.store.db.deleteFrom('admin_sessions').where('id_hash', '=', sha256(value)).execute()
    deleteCookie(c, ADMIN_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c, g) })
    return c.json({ ok: true as const })
  })

  api.get('/session', async (c) => {
    const session = await currentSession(c, g)
    if (!session) throw unauthorized()
    const body: AdminSession = { ok: true, admin: true, expiresAt: new Date(session.expiresAt).toISOString() }
    return c.json(body)
  })

  return api
}
