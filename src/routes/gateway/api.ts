/**
 * The gateway page's calls to the relay's admin API (src/lib/contract/gateway.ts, GATEWAY.md) on
 * this origin with the admin session cookie. Errors come back as the relay client's `RelayError`
 * / `RelayUnreachable`, so the diagnosis explains them as on the settings page. Answers are checked
 * with the contract's schemas (the relay client set zod up for the page's CSP).
 *
 * @module
 */
import '$lib/zod-csp.ts'
import { SendSuccess } from '$lib/contract/api.ts'
import {
  AdminSession,
  DeviceCodeAnswer,
  MailboxAnswer,
  MailboxList,
  OkAnswer,
  SetupStatus,
  type AuthorizeRequest,
  type MailboxCreate,
  type MailboxItem,
} from '$lib/contract/gateway.ts'
import { call, RelayError } from '$lib/relay/client.ts'

const send = (method: string, body?: unknown): RequestInit => ({
  method,
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
})

const mailbox = (id: string) => `/api/admin/mailboxes/${encodeURIComponent(id)}`

/** The admin API, one method per route. */
export const admin = {
  async setupStatus(): Promise<SetupStatus> {
    return SetupStatus.parse(await call('/api/admin/setup'))
  },
  /** Chooses the first password with the setup link's code; signs in (the relay sets the cookie). */
  async setup(code: string, password: string): Promise<void> {
    AdminSession.parse(await call('/api/admin/setup', send('POST', { code, password })))
  },
  async session(): Promise<void> {
    AdminSession.parse(await call('/api/admin/session'))
  },
  async login(password: string): Promise<void> {
    AdminSession.parse(await call('/api/admin/login', send('POST', { password })))
  },
  async logout(): Promise<void> {
    OkAnswer.parse(await call('/api/admin/logout', send('POST', {})))
  },
  async mailboxes(): Promise<MailboxItem[]> {
    return MailboxList.parse(await call('/api/admin/mailboxes')).mailboxes
  },
  async create(body: MailboxCreate): Promise<MailboxItem> {
    return MailboxAnswer.parse(await call('/api/admin/mailboxes', send('POST', body))).mailbox
  },
  async remove(id: string): Promise<void> {
    OkAnswer.parse(await call(mailbox(id), send('DELETE')))
  },
  /** Hands the hybrid popup's code to the relay, which redeems it with the stored secret. */
  async authorize(id: string, grant: AuthorizeRequest): Promise<MailboxItem> {
    return MailboxAnswer.parse(await call(`${mailbox(id)}/authorize`, send('POST', grant))).mailbox
  },
  async deviceCode(id: string): Promise<DeviceCodeAnswer> {
    return DeviceCodeAnswer.parse(await call(`${mailbox(id)}/devicecode`, send('POST', {})))
  },
  /** Sends a test through the stored token; answers (and fails) exactly like /api/send. */
  async test(id: string, to: string): Promise<SendSuccess> {
    return SendSuccess.parse(await call(`${mailbox(id)}/test`, send('POST', { to })))
  },
}

/** The relay's error code of a failed call (`UNAUTHORIZED`, `RATE_LIMITED`, …), if it answered. */
export function errorCode(e: unknown): string | undefined {
  return e instanceof RelayError ? e.body.error.code : undefined
}
