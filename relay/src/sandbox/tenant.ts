/**
 * The sandbox tenant's fixed directory: its tenant ID, the two app registrations an admin makes
 * when following the seed or PRODUCT.md, and the users. Everything here is a made-up value that
 * only exists in the sandbox; none of it grants access to anything real.
 *
 * @module
 */

/** The tenant (directory) ID: a fixed GUID so settings saved against the sandbox keep working. */
export const TENANT_ID = '5b1e6f2a-3c4d-4e8f-9a0b-7c6d5e4f3a2b'

/** The mail domain of the sandbox (RFC 6761 `.test`: never resolves on the internet). */
export const DOMAIN = 'sandbox.mailkey.test'

/** The resource every SMTP token is for, and the scopes Exchange knows of it. */
export const OUTLOOK = 'https://outlook.office.com'
/** Exchange Online's other identifier URI: the one app-only tokens are asked for (M365-FACTS §4.2). */
export const OUTLOOK_365 = 'https://outlook.office365.com'
/** Older documents use the office365 host; Entra accepts both and issues the same token. */
export const OUTLOOK_ALIASES = [OUTLOOK, OUTLOOK_365]
export const SMTP_SEND = 'SMTP.Send'
export const OUTLOOK_SCOPES = ['SMTP.Send', 'IMAP.AccessAsUser.All', 'POP.AccessAsUser.All']
/** The application permission of "Office 365 Exchange Online" for app-only SMTP (a `roles` value). */
export const SMTP_SEND_AS_APP = 'SMTP.SendAsApp'
/** OpenID scopes Entra accepts beside the resource scopes. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access']

/** The Web app registration: the seed's (confidential, client secret, implicit boxes ticked). */
export const WEB_APP = {
  clientId: '0d6f4c1e-8a2b-4c3d-9e5f-1a2b3c4d5e6f',
  name: 'mailkey sandbox (Web)',
  /** The secret's value (what the app must send). Entra values are 40 chars with a `~`. */
  secretValue: 'mkQ8Q~Sandbox.Web-Secret_Value-0123456789',
  /** The secret's ID: what an admin wrongly copies from the portal (AADSTS7000215). */
  secretId: '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
  /** Entra matches `http://localhost` on any port; a missing path means `/`. */
  redirectUri: 'http://localhost',
  /**
   * The App registration's object ID (Entra: App registrations > Overview > Object ID). NOT the
   * ID `New-ServicePrincipal -ObjectId` wants: using it is the classic app-only mistake.
   */
  objectId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
  /**
   * The service principal's object ID (Entra: Enterprise applications > the app > Object ID).
   * App-only tokens carry it as `oid` and `sub`; Exchange's `New-ServicePrincipal -ObjectId`
   * and `Add-MailboxPermission -User` name it.
   */
  servicePrincipalObjectId: '4f3e2d1c-0b9a-4887-a6f5-e4d3c2b1a090',
  /** API permissions with admin consent: the application permission on Exchange Online. */
  appRoles: [SMTP_SEND_AS_APP],
  /**
   * Authentication > Advanced settings > "Allow public client flows": Yes. Entra needs it for the
   * device code flow without a secret (with the secret sent, a confidential app may use it too).
   */
  allowPublicClientFlows: true,
}

/** What an admin did in Exchange Online PowerShell for the app-only path (the defaults). */
export const EXCHANGE_APP_SETUP = {
  /** `New-ServicePrincipal -AppId <clientId> -ObjectId <servicePrincipalObjectId>` was run. */
  servicePrincipalRegistered: true,
  /** `Add-MailboxPermission -Identity <mailbox> -User <servicePrincipalObjectId> -AccessRights FullAccess`. */
  fullAccessMailboxes: [`taro@${DOMAIN}`],
}

/** The single-page app registration (public client, PKCE, redirect to the page's MSAL bridge). */
export const SPA_APP = {
  clientId: '3a9c5e7b-1d2f-4a6b-8c0d-2e4f6a8b0c1d',
  name: 'mailkey sandbox (SPA)',
  redirectPath: '/redirect-bridge.html',
}

export interface SandboxAccount {
  /** Object ID (`oid`), also the subject and the account ID in the IdP. */
  oid: string
  upn: string
  displayName: string
  password: string
  /** What the user demonstrates, in English (`/api/config`, the English pages). */
  description: string
  /** The same in Japanese, for the Japanese sign-in page. */
  descriptionJa: string
  /** Exchange: SMTP AUTH on for this mailbox (`Set-CASMailbox -SmtpClientAuthenticationDisabled`). */
  smtpAuthEnabled: boolean
  /** Outlook scopes the admin consented to for this user. */
  consentedScopes: string[]
  /** Sign-in blocked (shared mailboxes): AADSTS50057 on the login page. */
  signInBlocked: boolean
  /** Addresses this mailbox may send as besides its own (Exchange Send As). */
  sendAs: string[]
}

export const ACCOUNTS: SandboxAccount[] = [
  {
    oid: '11111111-2222-4333-8444-555555555501',
    upn: `taro@${DOMAIN}`,
    displayName: '山田 太郎',
    password: 'Sandbox-Taro-2026',
    description: 'Works: SMTP AUTH on, SMTP.Send consented. Sign in and send as this user.',
    descriptionJa:
      '正常: SMTP AUTH が有効で SMTP.Send に同意済み。このユーザーでサインインして送信できます。',
    smtpAuthEnabled: true,
    consentedScopes: [...OUTLOOK_SCOPES],
    signInBlocked: false,
    sendAs: [],
  },
  {
    oid: '11111111-2222-4333-8444-555555555502',
    upn: `hanako@${DOMAIN}`,
    displayName: '佐藤 花子',
    password: 'Sandbox-Hanako-2026',
    description:
      'SMTP AUTH disabled for the mailbox: sign-in works, sending gives 535 5.7.139.',
    descriptionJa:
      'メールボックスの SMTP AUTH が無効: サインインはできますが、送信すると 535 5.7.139 になります。',
    smtpAuthEnabled: false,
    consentedScopes: [...OUTLOOK_SCOPES],
    signInBlocked: false,
    sendAs: [],
  },
  {
    oid: '11111111-2222-4333-8444-555555555503',
    upn: `jiro@${DOMAIN}`,
    displayName: '鈴木 次郎',
    password: 'Sandbox-Jiro-2026',
    description:
      'Consent lacks SMTP.Send: asking for it gives AADSTS65001; a token without it gives 535 5.7.3.',
    descriptionJa:
      'SMTP.Send の同意がない: 要求すると AADSTS65001、SMTP.Send のないトークンで送信すると 535 5.7.3 になります。',
    smtpAuthEnabled: true,
    consentedScopes: ['IMAP.AccessAsUser.All'],
    signInBlocked: false,
    sendAs: [],
  },
  {
    oid: '11111111-2222-4333-8444-555555555504',
    upn: `shared@${DOMAIN}`,
    displayName: '共有メールボックス (総務)',
    password: 'Sandbox-Shared-2026',
    description:
      'Shared mailbox, sign-in blocked (AADSTS50057). Sending as it from taro gives 554 5.2.252 SendAsDenied.',
    descriptionJa:
      '共有メールボックス、サインイン不可 (AADSTS50057)。taro がこのアドレスで送信すると 554 5.2.252 SendAsDenied になります。',
    smtpAuthEnabled: false,
    consentedScopes: [],
    signInBlocked: true,
    sendAs: [],
  },
]

/** Finds an account by UPN, case-insensitively (as Entra and Exchange do). */
export function findAccountByUpn(upn: string): SandboxAccount | undefined {
  const wanted = upn.trim().toLowerCase()
  return ACCOUNTS.find((a) => a.upn.toLowerCase() === wanted)
}

export function findAccountByOid(oid: string): SandboxAccount | undefined {
  return ACCOUNTS.find((a) => a.oid === oid)
}

/**
 * Splits a resource scope such as `https://outlook.office.com/SMTP.Send` into its short name
 * (`SMTP.Send`), or undefined when it is not an Outlook scope.
 */
export function outlookScopeName(scope: string): string | undefined {
  for (const host of OUTLOOK_ALIASES) {
    const prefix = `${host}/`
    if (scope.toLowerCase().startsWith(prefix)) {
      const name = scope.slice(prefix.length)
      const known = [...OUTLOOK_SCOPES, '.default'].find((s) => s.toLowerCase() === name.toLowerCase())
      return known
    }
  }
  return undefined
}

/** Every Outlook scope string the IdP accepts (both hosts, every name, `.default`). */
export function allOutlookScopeStrings(): string[] {
  return OUTLOOK_ALIASES.flatMap((host) => [...OUTLOOK_SCOPES, '.default'].map((n) => `${host}/${n}`))
}
