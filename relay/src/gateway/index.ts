/**
 * The gateway (shared/GATEWAY.md), started by the entry points when RELAY_GATEWAY is on: opens
 * the store and runs its migrations, loads the secret key and checks it against the store,
 * prints the one-time setup link while no admin password exists, renews tokens in the
 * background and raises alerts, and serves `/api/admin/*`.
 *
 * @example
 * const gateway = await startGateway({ config, relay: { config, resolveHost, sendMail } })
 * app = createApp({ ..., gateway })
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import type { Context } from 'hono'
import { Hono } from 'hono'
import type { RelayConfig } from '../config.ts'
import type { RelayEnv } from '../http/context.ts'
import { type LogFn, stdoutLog } from '../http/log.ts'
import type { SubmitDeps } from '../routes/send.ts'
import type { TokenDeps } from '../routes/token.ts'
import { adminRoutes, csrfGate, requireAdmin, setupLink } from './admin.ts'
import { checkSecretExpiry, listAlerts } from './alerts.ts'
import type { GatewayContext } from './context.ts'
import { CHECK_PURPOSE, CHECK_VALUE, KeyError, loadKeyBytes, SecretBox } from './crypto.ts'
import { mailboxRoutes } from './mailboxes.ts'
import { openStore, type Store } from './store.ts'
import { renewDue } from './tokens.ts'

export { KeyError } from './crypto.ts'
import { type Sending, startSending } from './sending.ts'

export interface GatewayOptions {
  config: RelayConfig
  relay: SubmitDeps & TokenDeps
  log?: LogFn
  /** How often the background pass runs (renewals, device code polls); default 2 s. */
  tickMs?: number
  /** The clock; `Date.now` by default. */
  now?: () => number
}

export interface GatewayHandle {
  /** Mounted at `/api/admin`; `clientAddress` is the app's (proxy-aware) one. */
  routes(clientAddress: (c: Context) => string): Hono<RelayEnv>
  /** Mounted at `/api/v1`: the send API for scripts (device API keys). */
  v1Routes(): Hono<RelayEnv>
  /** Devices, ingress, queue and delivery. */
  sending: Sending
  /** The one-time setup link while no admin password exists. */
  setupLink?: string
  /** One line on the store and key for the start-up output (no secret in it). */
  summary: string
  context: GatewayContext
  /** One background pass now (tests). */
  tick(): Promise<void>
  /**
   * Shutdown, first half, beside the HTTP server's close: the ingress stops accepting and
   * delivery gives back what it cannot finish (`Sending.drain`); the store stays open for the
   * requests still being answered. `close()` does it too.
   */
  drain(): Promise<void>
  close(): Promise<void>
}

const KEY_CHECK = 'key_check'
const ALERT_CHECK_MS = 10 * 60_000

/** Loads the key and proves it against the store's check value (or writes the first one). */
async function secretBox(store: Store, config: RelayConfig): Promise<{ box: SecretBox; origin: string }> {
  const check = await store.db.selectFrom('settings').select('value').where('key', '=', KEY_CHECK).executeTakeFirst()
  const key = loadKeyBytes({
    ...(config.secretKey !== undefined && { envKey: config.secretKey }),
    dataDir: config.dataDir,
    storeHasSecrets: check !== undefined,
  })
  const box = await SecretBox.fromBytes(key.bytes)
  const prove = async (sealed: string) => {
    const ok = await box.open(sealed, CHECK_PURPOSE).then((v) => v === CHECK_VALUE, () => false)
    if (!ok) {
      throw new KeyError(
        `RELAY_SECRET_KEY: the key from ${key.origin} cannot decrypt the gateway's stored secrets (the store's key check failed); start with the key they were stored with`,
      )
    }
  }
  if (check) await prove(check.value)
  else {
    await store.db.insertInto('settings').values({ key: KEY_CHECK, value: await box.seal(CHECK_VALUE, CHECK_PURPOSE) })
      .onConflict((oc) => oc.column('key').doNothing()).execute()
    // Another instance may have written its check first, under its own key.
    const stored = await store.db.selectFrom('settings').select('value').where('key', '=', KEY_CHECK).executeTakeFirstOrThrow()
    await prove(stored.value)
  }
  return { box, origin: key.origin }
}

/** Opens everything; a `KeyError` or a store failure is for the caller to print as one line. */
export async function startGateway(opts: GatewayOptions): Promise<GatewayHandle> {
  const { config } = opts
  const log = opts.log ?? stdoutLog
  const store = await openStore({ ...(config.databaseUrl !== undefined && { databaseUrl: config.databaseUrl }), dataDir: config.dataDir })
  let box: SecretBox
  let keyOrigin: string
  try {
    ;({ box, origin: keyOrigin } = await secretBox(store, config))
  } catch (err) {
    await store.close()
    throw err
  }
  const g: GatewayContext = {
    store,
    box,
    config,
    ...(config.adminPassword !== undefined && { adminPassword: config.adminPassword }),
    log,
    now: opts.now ?? Date.now,
    instanceId: randomUUID(),
    relay: opts.relay,
  }
  const link = await setupLink(g)

  let running: Promise<void> | undefined
  let lastAlertCheck = 0
  const tick = () => {
    running ??= (async () => {
      try {
        await renewDue(g)
        if (g.now() - lastAlertCheck >= ALERT_CHECK_MS) {
          lastAlertCheck = g.now()
          await checkSecretExpiry(g)
        }
      } catch (err) {
        log({ level: 'error', event: 'gateway.tick_failed', error: err instanceof Error ? err.message.slice(0, 200) : 'error' })
      } finally {
        running = undefined
      }
    })()
    return running
  }
  let sending: Sending
  try {
    sending = await startSending(g)
  } catch (err) {
    await store.close()
    throw err
  }
  const timer = setInterval(() => void tick(), opts.tickMs ?? 2000)
  void tick()

  return {
    routes(clientAddress) {
      const api = new Hono<RelayEnv>()
      api.use('*', csrfGate(g))
      api.route('/', adminRoutes(g, clientAddress))
      api.use('*', requireAdmin(g))
      api.route('/mailboxes', mailboxRoutes(g, clientAddress))
      api.get('/alerts', async (c) => c.json({ ok: true as const, alerts: await listAlerts(g) }))
      api.route('/', sending.adminRoutes())
      return api
    },
    v1Routes: () => sending.v1Routes(),
    sending,
    ...(link !== undefined && { setupLink: link }),
    summary: `gateway on: store ${store.kind} (${store.where}), secret key from ${keyOrigin === config.secretKey ? 'RELAY_SECRET_KEY' : keyOrigin}`,
    context: g,
    tick,
    drain: () => sending.drain(),
    async close() {
      clearInterval(timer)
      await sending.close()
      await running
      await store.close()
    },
  }
}
