/**
 * The sandbox's failure switches: each one reproduces a mistake an admin makes in Entra or
 * Exchange, so the page's diagnosis can be seen and tested. All off by default; kept in memory.
 *
 * @module
 */

export const SWITCH_NAMES = [
  'webSecretExpired',
  'implicitAccessTokensDisabled',
  'implicitIdTokensDisabled',
  'consentMissing',
  'spaRedirectMissing',
  'tenantSmtpAuthDisabled',
  'refreshTokenRevoked',
  'servicePrincipalMissing',
  'mailboxPermissionMissing',
  'smtpBusy',
  'smtpDown',
] as const

export type SwitchName = (typeof SWITCH_NAMES)[number]
export type Switches = Record<SwitchName, boolean>

/** What each switch does, in both languages of the inbox page. */
export const SWITCH_LABELS: Record<SwitchName, { ja: string; en: string; effect: string }> = {
  webSecretExpired: {
    ja: 'Web アプリのクライアントシークレットの有効期限切れ',
    en: "The Web app's client secret has expired",
    effect: 'AADSTS7000222',
  },
  implicitAccessTokensDisabled: {
    ja: '「アクセストークン」(暗黙的フロー) のチェックが外れている',
    en: 'Implicit grant: "Access tokens" unticked',
    effect: 'AADSTS700051',
  },
  implicitIdTokensDisabled: {
    ja: '「ID トークン」(暗黙的/ハイブリッドフロー) のチェックが外れている',
    en: 'Implicit/hybrid: "ID tokens" unticked',
    effect: 'AADSTS700054',
  },
  consentMissing: {
    ja: 'SMTP.Send の管理者の同意がない',
    en: 'No admin consent for SMTP.Send',
    effect: 'AADSTS65001',
  },
  spaRedirectMissing: {
    ja: 'SPA のリダイレクト URI が未登録',
    en: "The SPA's redirect URI is not registered",
    effect: 'AADSTS50011',
  },
  tenantSmtpAuthDisabled: {
    ja: 'テナント全体で SMTP AUTH が無効',
    en: 'SMTP AUTH disabled for the whole tenant',
    effect: '535 5.7.139',
  },
  refreshTokenRevoked: {
    ja: '条件付きアクセスのサインイン頻度: オンにした時点までに発行されたリフレッシュトークンが無効 (再サインインで回復)',
    en: 'Conditional Access sign-in frequency: refresh tokens issued before it was turned on are invalid (sign in again)',
    effect: 'AADSTS70043',
  },
  servicePrincipalMissing: {
    ja: 'Exchange にサービスプリンシパルが未登録 (New-ServicePrincipal をしていない)',
    en: 'No service principal in Exchange (New-ServicePrincipal not run)',
    effect: '535 5.7.3',
  },
  mailboxPermissionMissing: {
    ja: 'サービスプリンシパルにメールボックスの FullAccess がない (Add-MailboxPermission をしていない)',
    en: 'The service principal lacks FullAccess on the mailbox (Add-MailboxPermission not run)',
    effect: '535 5.7.3',
  },
  smtpBusy: {
    ja: 'Exchange が混雑している (一時エラー、後で再試行)',
    en: 'Exchange is busy (a transient error: retry later)',
    effect: '451 4.7.500',
  },
  smtpDown: {
    ja: 'SMTP サーバーが停止している (接続が拒否される)',
    en: 'The SMTP server is down (connections refused)',
    effect: 'ECONNREFUSED',
  },
}

export function defaultSwitches(): Switches {
  return Object.fromEntries(SWITCH_NAMES.map((n) => [n, false])) as Switches
}

/**
 * Applies a partial update: only known names with boolean values. Returns the names that were
 * unknown or not booleans (the caller answers 400 for them and changes nothing).
 */
export function applySwitches(current: Switches, update: unknown): { next: Switches; bad: string[] } {
  const bad: string[] = []
  const next = { ...current }
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    return { next: current, bad: ['(body must be a JSON object)'] }
  }
  for (const [key, value] of Object.entries(update)) {
    if (!(SWITCH_NAMES as readonly string[]).includes(key) || typeof value !== 'boolean') {
      bad.push(key)
      continue
    }
    next[key as SwitchName] = value
  }
  return bad.length ? { next: current, bad } : { next, bad }
}
