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
  const rows = ACCOUNTS.map(
    (a) =>
      `<tr><td><code>${esc(a.upn)}</code><br>${esc(a.displayName)}</td><td><code>${esc(a.password)}</code></td><td>${esc(p.lang === 'ja' ? a.descriptionJa : a.description)}</td></tr>`
  ).join('')
  return page(
    p.lang,
    `${t.signIn} - ${t.tenant}`,
    `${langSwitch(p.lang, p.action)}<h1>${t.signIn}</h1>
<p class="note">${t.tenant} · ${t.app}: <strong>${esc(p.appName)}</strong><br>${t.sandboxNote}</p>
${p.error ? `<p class="err" role="alert">${esc(p.error)}</p>` : ''}
<form method="post" action="${esc(p.action)}" autocomplete="off">
<input type="hidden" name="action" value="login"><input type="hidden" name="lang" value="${p.lang}">
<label for="upn">${t.user}</label><input id="upn" name="upn" type="email" required value="${esc(p.loginHint ?? '')}">
<label for="password">${t.password}</label><input id="password" name="password" type="password" required>
<button type="submit">${t.submit}</button></form>
<h2>${t.users}</h2><table><tr><th>UPN</th><th>${t.password}</th><th>${t.desc}</th></tr>${rows}</table>`
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
