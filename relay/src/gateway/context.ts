/**
 * What every part of the gateway shares: the store, the secret box, the configuration, the log,
 * the clock, and the relay's senders and token client.
 *
 * @module
 */
import type { RelayConfig } from '../config.ts'
import type { LogFn } from '../http/log.ts'
import type { SubmitDeps } from '../routes/send.ts'
import type { TokenDeps } from '../routes/token.ts'
import type { SecretBox } from './crypto.ts'
import type { Store } from './store.ts'

export interface GatewayContext {
  store: Store
  box: SecretBox
  config: RelayConfig
  /** RELAY_ADMIN_PASSWORD, when set (compared in constant time, never stored). */
  adminPassword?: string
  log: LogFn
  /** Milliseconds since the epoch (tests move it). */
  now(): number
  /** This instance's name in renewal leases. */
  instanceId: string
  /** Sending and token calls, as /api/send and /api/token do them. */
  relay: SubmitDeps & TokenDeps
}
