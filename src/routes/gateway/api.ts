/**
 * The gateway page's calls to the relay's admin API (src/lib/contract/gateway.ts, GATEWAY.md) on
 * this origin with the admin session cookie. Errors come back as the relay client's `RelayError`
 * / `RelayUnreachable`, so the diagnosis explains them as on the settings page.
 *
 * @module
 */
import type { SendSuccess } from '$lib/contract/api.ts'
import { call, RelayError } from '$lib/relay/client.ts'
import type {
  AuthorizeRequest,
  DeviceCodeAnswer,
  MailboxCreate,
  MailboxItem,
  SetupStatus,
} from './pending-contract.ts'

const send = (method: string, body?: unknown): RequestInit => ({
  method,
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
})

const mailbox = (id: string) => `/api/admin/mailboxes/${encodeURIComponent(id)}`

/** The admin API, one method per route. */
export const admin = {
  async setupStatus(): Promise<SetupStatus> {
    return (await call('/api/admin/setup')) as SetupStatus
  },
  /** Chooses the first password with the setup link's code; signs in (the relay sets the cookie). */
  async setup(code: string, password: string): Promise<void> {
    await call('/api/admin/setup', send('POST', { code, password }))
  },
  async session(): Promise<void> {
    await call('/api/admin/session')
  },
  async login(password: string): Promise<void> {
    await call('/api/admin/login', send('POST', { password }))
  },
  async logout(): Promise<void> {
    await call('/api/admin/logout', send('POST', {}))
  },
  async mailboxes(): Promise<MailboxItem[]> {
    return ((await call('/api/admin/mailboxes')) as { mailboxes: MailboxItem[] }).mailboxes
  },
  async create(body: MailboxCreate): Promise<MailboxItem> {
    return ((await call('/api/admin/mailboxes', send('POST', body))) as { mailbox: MailboxItem }).mailbox
  },
  async remove(id: string): Promise<void> {
    await call(mailbox(id), send('DELETE'))
  },
  /** Hands the hybrid popup's code to the relay, which redeems it with the stored secret. */
  async authorize(id: string, grant: AuthorizeRequest): Promise<MailboxItem> {
    return ((await call(`${mailbox(id)}/authorize`, send('POST', grant))) as { mailbox: MailboxItem }).mailbox
  },
  async deviceCode(id: string): Promise<DeviceCodeAnswer> {
    return (await call(`${mailbox(id)}/devicecode`, send('POST', {}))) as DeviceCodeAnswer
  },
  /** Sends a test through the stored token; answers (and fails) exactly like /api/send. */
  async test(id: string, to: string): Promise<SendSuccess> {
    return (await call(`${mailbox(id)}/test`, send('POST', { to }))) as SendSuccess
  },
}

/** The relay's error code of a failed call (`UNAUTHORIZED`, `RATE_LIMITED`, …), if it answered. */
export function errorCode(e: unknown): string | undefined {
  return e instanceof RelayError ? e.body.error.code : undefined
}
