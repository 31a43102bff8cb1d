// TEMPORARY: GATEWAY.md's shapes until h4's src/lib/contract/gateway.ts lands; then deleted.
import type { ErrorBody, SendRequest, SendSuccess } from '$lib/contract/api.ts'

export type MailboxState = 'needs-sign-in' | 'ready' | 'reauth-needed' | 'error'
export type TokenSource = 'app' | 'delegated'
export interface Mailbox {
  id: string
  name: string
  address: string
  account?: string
  smtp: { host: string; port: number; security: 'starttls' | 'tls' | 'none' }
  tokenSource: TokenSource
  tenantId?: string
  clientId?: string
  tokenEndpoint?: string
  authorizeEndpoint?: string
  state: MailboxState
  tokenExpiresAt: string | null
  nextRenewalAt: string | null
  secretExpires: string | null
  lastError?: ErrorBody['error']
}
export interface MailboxCreate {
  name: string
  address: string
  smtp: Mailbox['smtp']
  tokenSource: TokenSource
  tenantId: string
  clientId: string
  clientSecret: string
  tokenEndpoint: string
  authorizeEndpoint?: string
  secretExpires?: string
}
export type { SendRequest, SendSuccess }
