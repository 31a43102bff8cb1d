/**
 * The sandbox IdP's own sign-in, consent and error pages, in Japanese (default) and English.
 * Forms post back to the same URL (the interaction cookie is scoped to it); no script.
 *
 * @module
 */
import { esc, page, type Lang } from './html.ts'
import { ACCOUNTS } from './tenant.ts'

const T = {
  ja: {
    signIn: 'サインイン',
    tenant: 'mailkey サンドボックス テナント',
    app: 'アプリ',
    user: 'ユーザー名 (UPN)',
    password: 'パスワード',
    submit: 'サインイン',
    users: 'サンドボックスのユーザー',
    desc: '説明',
    consentTitle: 'アクセス許可の要求',
    consentLead: '次のアプリが、あなたのアカウントへのアクセスを求めています:',
    scopes: '要求されたアクセス許可',
    accept: '承諾',
    cancel: 'キャンセル',
    errorTitle: 'サインインできませんでした',
    logoutTitle: 'サインアウトしますか?',
    logoutYes: 'サインアウト',
    logoutNo: 'サインインしたままにする',
    signedOut: 'サインアウトしました。このウィンドウを閉じてかまいません。',
    sandboxNote: 'これはローカルのサンドボックスです。Microsoft のサインイン画面ではありません。',
    other: 'English',
  },
  en: {
    signIn: 'Sign in',
    tenant: 'mailkey sandbox tenant',
    app: 'App',
    user: 'User name (UPN)',
    password: 'Password',
    submit: 'Sign in',
    users: 'Sandbox users',
    desc: 'Description',
    consentTitle: 'Permissions requested',
    consentLead: 'This app wants access to your account:',
    scopes: 'Requested permissions',
    accept: 'Accept',
    cancel: 'Cancel',
    errorTitle: 'Sign-in failed',
    logoutTitle: 'Sign out?',
    logoutYes: 'Sign out',
    logoutNo: 'Stay signed in',
    signedOut: 'You signed out. You may close this window.',
    sandboxNote: 'This is a local sandbox, not the Microsoft sign-in page.',
    other: '日本語',
  },
}

function langSwitch(lang: Lang, action: string): string {
  const other = lang === 'ja' ? 'en' : 'ja'
  return `<a class="lang" href="${esc(action)}?lang=${other}">${T[lang].other}</a>`
}

export interface LoginPageInput {
  lang: Lang
  action: string
  appName: string
  loginHint?: string
  /** An AADSTS line to show above the form. */
  error?: string
}

export function loginPage(p: LoginPageInput): string {
  const t = T[p.lang]
  // One block per user: a UPN never shares a line with other columns, so it never wraps mid-word.
  const rows = ACCOUNTS.map(
    (a) =>
      `<li><code class="upn">${esc(a.upn)}</code> ${esc(a.displayName)}<br>${t.password}: <code class="upn">${esc(a.password)}</code><br><span class="note">${esc(p.lang === 'ja' ? a.descriptionJa : a.description)}</span></li>`
  ).join('')
  // The user name takes the focus at once (the password when the app named the user already).
  const focusUpn = p.loginHint ? '' : ' autofocus'
  const focusPassword = p.loginHint ? ' autofocus' : ''
  return page(
    p.lang,
    `${t.signIn} - ${t.tenant}`,
    `${langSwitch(p.lang, p.action)}<h1>${t.signIn}</h1>
<p class="note">${t.tenant} · ${t.app}: <strong>${esc(p.appName)}</strong><br>${t.sandboxNote}</p>
${p.error ? `<p class="err" role="alert">${esc(p.error)}</p>` : ''}
<form method="post" action="${esc(p.action)}" autocomplete="off">
<input type="hidden" name="action" value="login"><input type="hidden" name="lang" value="${p.lang}">
<label for="upn">${t.user}</label><input id="upn" name="upn" type="email" required${focusUpn} value="${esc(p.loginHint ?? '')}">
<label for="password">${t.password}</label><input id="password" name="password" type="password" required${focusPassword}>
<button type="submit">${t.submit}</button></form>
<h2>${t.users}</h2><ul class="users">${rows}</ul>`
  )
}

export interface ConsentPageInput {
  lang: Lang
  action: string
  appName: string
  upn: string
  scopes: string[]
}

export function consentPage(p: ConsentPageInput): string {
  const t = T[p.lang]
  return page(
    p.lang,
    t.consentTitle,
    `${langSwitch(p.lang, p.action)}<h1>${t.consentTitle}</h1>
<p>${esc(p.upn)}</p><p>${t.consentLead} <strong>${esc(p.appName)}</strong></p>
<h2>${t.scopes}</h2><ul>${p.scopes.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ul>
<form method="post" action="${esc(p.action)}"><input type="hidden" name="lang" value="${p.lang}">
<button type="submit" name="action" value="consent">${t.accept}</button>
<button type="submit" name="action" value="cancel">${t.cancel}</button></form>`
  )
}

/** Entra's error page when it cannot redirect back (unknown app, redirect URI mismatch). */
export function errorPage(lang: Lang, description: string, details: Record<string, string>): string {
  const t = T[lang]
  const rows = Object.entries(details)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`)
    .join('')
  return page(
    lang,
    t.errorTitle,
    `<h1>${t.errorTitle}</h1><p class="note">${t.sandboxNote}</p>
<p class="err" role="alert">${esc(description)}</p><table>${rows}</table>`
  )
}

/** The logout confirmation; `form` is oidc-provider's hidden form (id `op.logoutForm`). */
export function logoutPage(lang: Lang, form: string): string {
  const t = T[lang]
  return page(
    lang,
    t.logoutTitle,
    `<h1>${t.logoutTitle}</h1><p class="note">${t.sandboxNote}</p>${form}
<button autofocus type="submit" form="op.logoutForm" name="logout" value="yes">${t.logoutYes}</button>
<button type="submit" form="op.logoutForm">${t.logoutNo}</button>`
  )
}

export function signedOutPage(lang: Lang): string {
  const t = T[lang]
  return page(lang, t.signedOut, `<h1>${t.signedOut}</h1><p class="note">${t.sandboxNote}</p>`)
}

const DEVICE = {
  ja: {
    title: 'コードの入力',
    lead: 'デバイスまたはアプリに表示されているコードを入力してください。',
    code: 'コード',
    next: '次へ',
    bad: 'そのコードは使えません。コードを確かめて、もう一度入力してください。',
    expired: 'コードの有効期限が切れています。デバイスまたはアプリで新しいコードを取得してください。',
    used: 'このコードは使用済みです。デバイスまたはアプリで新しいコードを取得してください。',
    aborted: 'サインインを取り消しました。デバイスまたはアプリでやり直してください。',
    failed: '要求を処理できませんでした。デバイスまたはアプリでやり直してください。',
    confirmTitle: (app: string) => `${app} にサインインしようとしていますか?`,
    confirmLead: 'デバイスに次のコードが表示されていることを確かめてください。心当たりがなければ [キャンセル] を押してください。',
    continue: '続行',
    cancel: 'キャンセル',
    successTitle: 'サインインしました',
    successLead: (app: string) => `デバイスの ${app} にサインインしました。このウィンドウは閉じてかまいません。`,
  },
  en: {
    title: 'Enter code',
    lead: 'Enter the code displayed on your device or app.',
    code: 'Code',
    next: 'Next',
    bad: "That code didn't work. Check the code and try again.",
    expired: 'The code has expired. Get a new code from your device or app.',
    used: 'This code has been used already. Get a new code from your device or app.',
    aborted: 'Sign-in cancelled. Start again from your device or app.',
    failed: 'The request could not be processed. Start again from your device or app.',
    confirmTitle: (app: string) => `Are you trying to sign in to ${app}?`,
    confirmLead: "Check that your device shows this code. If you didn't start this, choose Cancel.",
    continue: 'Continue',
    cancel: 'Cancel',
    successTitle: 'Signed in',
    successLead: (app: string) => `You have signed in to ${app} on your device. You may close this window.`,
  },
}

/** Why the code page is shown again (oidc-provider's re-render error names). */
export type DeviceCodeProblem = 'bad' | 'expired' | 'used' | 'aborted' | 'failed'

export function deviceCodeProblem(err: unknown): DeviceCodeProblem | undefined {
  if (!err) return undefined
  const name = (err as { name?: string }).name
  if (name === 'NoCodeError' || name === 'NotFoundError') return 'bad'
  if (name === 'ExpiredError') return 'expired'
  if (name === 'AlreadyUsedError') return 'used'
  if (name === 'AbortedError') return 'aborted'
  return 'failed'
}

export interface DeviceCodePageInput {
  lang: Lang
  /** Where the form posts (the verification URL, with `?lang=`). */
  action: string
  xsrf: string
  problem?: DeviceCodeProblem
}

/** The verification page (Entra's microsoft.com/devicelogin): the user types the code. */
export function deviceCodePage(p: DeviceCodePageInput): string {
  const t = T[p.lang]
  const d = DEVICE[p.lang]
  return page(
    p.lang,
    `${d.title} - ${t.tenant}`,
    `${langSwitch(p.lang, p.action.split('?')[0] ?? p.action)}<h1>${d.title}</h1>
<p class="note">${t.tenant}<br>${t.sandboxNote}</p>
${p.problem ? `<p class="err" role="alert">${d[p.problem]}</p>` : ''}
<p>${d.lead}</p>
<form method="post" action="${esc(p.action)}" autocomplete="off">
<input type="hidden" name="xsrf" value="${esc(p.xsrf)}">
<label for="user_code">${d.code}</label><input id="user_code" name="user_code" type="text" required autofocus>
<button type="submit">${d.next}</button></form>`
  )
}

export interface DeviceConfirmPageInput {
  lang: Lang
  action: string
  xsrf: string
  userCode: string
  appName: string
}

/** After the code: "Are you trying to sign in to …?" with [Continue] and [Cancel]. */
export function deviceConfirmPage(p: DeviceConfirmPageInput): string {
  const t = T[p.lang]
  const d = DEVICE[p.lang]
  const hidden = `<input type="hidden" name="xsrf" value="${esc(p.xsrf)}"><input type="hidden" name="user_code" value="${esc(p.userCode)}">`
  return page(
    p.lang,
    d.confirmTitle(p.appName),
    `<h1>${esc(d.confirmTitle(p.appName))}</h1><p class="note">${t.tenant}<br>${t.sandboxNote}</p>
<p>${d.confirmLead}</p><p><code class="badge">${esc(p.userCode)}</code></p>
<form method="post" action="${esc(p.action)}">${hidden}
<button type="submit" name="confirm" value="yes">${d.continue}</button>
<button type="submit" name="abort" value="yes">${d.cancel}</button></form>`
  )
}

/**
 * The last page, after sign-in on the verification page's behalf: in both languages (the
 * sign-in's language is not known any more at this point of oidc-provider's flow).
 */
export function deviceSuccessPage(appName: string): string {
  const [ja, en] = [DEVICE.ja, DEVICE.en]
  return page(
    'ja',
    `${ja.successTitle} / ${en.successTitle}`,
    `<h1>${ja.successTitle}</h1><p>${esc(ja.successLead(appName))}</p>
<h2 lang="en">${en.successTitle}</h2><p lang="en">${esc(en.successLead(appName))}</p>
<p class="note">${T.ja.sandboxNote}<br>${T.en.sandboxNote}</p>`
  )
}
