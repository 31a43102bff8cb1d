/**
 * The handle the relay gets from the sandbox tenant, fixed first so the relay and the sandbox can
 * be built side by side. `relay/src/sandbox/index.ts` (Node only: it uses oidc-provider and
 * smtp-server) implements `startSandbox`; `relay/src/main.node.ts` imports it dynamically when
 * `RELAY_SANDBOX=1`.
 *
 * @module
 */
import type { Hono } from 'hono'
import type { SandboxInfo } from '../../../src/lib/contract/api.ts'

export type { SandboxInfo }

export interface SandboxOptions {
  /** Folder for the sandbox's state (keys, inbox); created when missing. */
  dataDir: string
  /** The origin the page is served from, e.g. `http://localhost:8787` (redirect URIs, CORS). */
  publicOrigin: string
  /** HTTPS port of the identity provider (0 = any free port); the sandbox's default if absent. */
  idpPort?: number
  /** Port of the SMTP submission server (0 = any free port); the sandbox's default if absent. */
  smtpPort?: number
  /** Access token lifetime in seconds (RELAY_SANDBOX_TOKEN_TTL; default 3600, as Entra). */
  accessTokenTtl?: number
}

export interface SandboxHandle {
  /** What `/api/config` shows as `sandbox` (may carry extra fields beyond the contract). */
  info: SandboxInfo
  /** The sandbox CA (PEM): trusted by the relay for the sandbox's SMTP and token endpoints. */
  caPem: string
  /** `host:port` of the sandbox SMTP server, added to the SMTP allow-list, e.g. `localhost:8587`. */
  smtpHostPort: string
  /** `host` or `host:port` of the sandbox token endpoint, added to the token allow-list. */
  tokenHost: string
  /** The sandbox's own HTTP routes (inbox, …), mounted by the relay at `/api/sandbox`. */
  routes: Hono
  /**
   * Authenticated SMTP sessions per mailbox, open now and the most at once since the start
   * (Exchange allows three concurrent submissions per mailbox; tests of the gateway count them).
   */
  smtpSessions(): { open: Record<string, number>; peak: Record<string, number> }
  /** Stops every server the sandbox started. */
  close(): Promise<void>
}

export type StartSandbox = (opts: SandboxOptions) => Promise<SandboxHandle>
