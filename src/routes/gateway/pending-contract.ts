// TEMPORARY: the types of src/lib/contract/gateway.ts (on h4's branch) until it lands on main.
import type { ErrorBody } from '$lib/contract/api.ts'

export type MailboxState = 'needs-sign-in' | 'ready' | 'reauth-needed' | 'error'
export type TokenSource = 'app' | 'delegated'
export interface MailboxItem {
  id: string
  name: string
  address: string
  smtp: { host: string; port: number; security: 'starttls' | 'tls' | 'none' }
  tokenSource: TokenSource
  tenantId: string
  clientId: string
  tokenEndpoint: string
  authorizeEndpoint: string | null
  state: MailboxState
  tokenExpiresAt: string | null
  nextRenewalAt: string | null
  secretExpires: string | null
  account?: string | null | undefined
  lastError?: (ErrorBody['error'] & { at: string }) | undefined
  deviceCode?: { userCode: string; verificationUri: string; expiresAt: string } | undefined
  createdAt: string
  updatedAt: string
}
export interface MailboxCreate {
  name: string
  address: string
  smtp: MailboxItem['smtp']
  tokenSource: TokenSource
  tenantId: string
  clientId: string
  clientSecret: string
  tokenEndpoint: string
  authorizeEndpoint?: string | undefined
  secretExpires?: string | undefined
}
export interface DeviceCodeAnswer { ok: true; userCode: string; verificationUri: string; expiresIn: number; message?: string | undefined }
export interface AuthorizeRequest { code: string; codeVerifier?: string | undefined; redirectUri: string }
export interface SetupStatus { ok: true; needed: boolean; passwordFromEnvironment: boolean }
