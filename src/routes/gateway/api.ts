/**
 * The gateway page's calls to the relay's admin API (shared/GATEWAY.md), on this origin with the
 * admin session cookie. Errors come back as the relay client's `RelayError` / `RelayUnreachable`,
 * so the diagnosis explains them like the settings page's.
 *
 * @module
 */
import { call, RelayError } from '$lib/relay/client.ts'
import type { SendSuccess } from '$lib/contract/api.ts'
import type { Mailbox, MailboxCreate } from './pending-contract.ts'

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
})

const mailbox = (id: string) => `/api/admin/mailboxes/${encodeURIComponent(id)}`

export interface DeviceCode {
  userCode: string
  verificationUri: string
  expiresIn: number
}

/** The admin API, one method per route. */
export const admin = {
  async getSession(): Promise<void> {
    await call('/api/admin/session')
  },
  async setup(code: string, password: string): Promise<void> {
    await call('/api/admin/setup', json('POST', { code, password }))
  },
  async login(password: string): Promise<void> {
    await call('/api/admin/login', json('POST', { password }))
  },
  async logout(): Promise<void> {
    await call('/api/admin/logout', json('POST', {}))
  },
  async listMailboxes(): Promise<Mailbox[]> {
    const res = (await call('/api/admin/mailboxes')) as { mailboxes: Mailbox[] }
    return res.mailboxes
  },
  async createMailbox(body: MailboxCreate): Promise<Mailbox> {
    const res = (await call('/api/admin/mailboxes', json('POST', body))) as { mailbox: Mailbox }
    return res.mailbox
  },
  async deleteMailbox(id: string): Promise<void> {
    await call(mailbox(id), json('DELETE'))
  },
  async authorizeMailbox(
  id: string,
  grant: { code: string; codeVerifier: string; redirectUri: string },
): Promise<void> {
    await call(`${mailbox(id)}/authorize`, json('POST', grant))
  },
  async startDeviceCode(id: string): Promise<DeviceCode> {
    return (await call(`${mailbox(id)}/devicecode`, json('POST', {}))) as DeviceCode
  },
  async testMailbox(id: string, to: string): Promise<SendSuccess> {
    return (await call(`${mailbox(id)}/test`, json('POST', { to }))) as SendSuccess
  },
}

/** The relay's error code of a failed call (`UNAUTHORIZED`, `RATE_LIMITED`, …), if it answered. */
export function errorCode(e: unknown): string | undefined {
  return e instanceof RelayError ? e.body.error.code : undefined
}
