/**
 * The sandbox IdP's sign-in and consent steps (oidc-provider "interactions"): GET renders the
 * page for the pending prompt, POST checks the form and finishes the interaction. Both use the
 * same URL because oidc-provider scopes the interaction cookie to it.
 *
 * Consent follows a tenant where the admin granted consent for the apps (the seed's "Grant
 * admin consent" step): no consent page unless `prompt=consent` was asked, and AADSTS65001 when
 * the consent lacks SMTP.Send (the user's, or everyone's under the `consentMissing` switch).
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { InteractionDetails, Provider } from 'oidc-provider'
import { AADSTS, entraError } from './aadsts.ts'
import { appName, consentMissingFor, grantedOutlookNames, OFFLINE_PARAM } from './idp-config.ts'
import { consentPage, loginPage } from './idp-pages.ts'
import { PAGE_HEADERS, pickLang, type Lang } from './html.ts'
import type { Switches } from './switches.ts'
import { findAccountByOid, findAccountByUpn, OUTLOOK, outlookScopeName, TENANT_ID, type SandboxAccount } from './tenant.ts'

const MAX_FORM_BYTES = 16 * 1024

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_FORM_BYTES) throw new Error('form too large')
    chunks.push(chunk as Buffer)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

function samePassword(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, PAGE_HEADERS)
  res.end(html)
}

export interface InteractionDeps {
  provider: () => Provider
  switches: () => Switches
  origin: () => string
}

/** Creates the grant an admin-consented tenant gives: the consented part of what was asked. */
async function makeGrant(
  provider: Provider,
  details: InteractionDetails,
  account: SandboxAccount,
  switches: Switches
): Promise<string> {
  const clientId = String(details.params.client_id)
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId: account.oid, clientId }))
    : new provider.Grant({ accountId: account.oid, clientId })
  const requested = String(details.params.scope ?? '').split(' ').filter(Boolean)
  grant.addOIDCScope('openid profile email')
  // The authorize pre-check remembers offline_access (OIDC Core drops it there); the device
  // flow keeps it in the scope.
  if (details.params[OFFLINE_PARAM] === '1' || requested.includes('offline_access')) {
    grant.addOIDCScope('offline_access')
  }
  const names = grantedOutlookNames(account, requested, switches)
  const outlook = requested.filter((s) => {
    const name = outlookScopeName(s)
    return name === '.default' || (name !== undefined && names.includes(name))
  })
  if (outlook.length) grant.addResourceScope(OUTLOOK, outlook.join(' '))
  return grant.save()
}

function consentError(details: InteractionDetails, deps: InteractionDeps) {
  const clientId = String(details.params.client_id)
  const [code, , text] = AADSTS.consentMissing(clientId, appName(clientId))
  const body = entraError(code, 'consent_required', text, deps.origin())
  return { error: 'consent_required', error_description: body.error_description }
}

/** Handles GET/POST on `/{tenant}/login/{uid}`. */
export async function handleInteraction(
  req: IncomingMessage,
  res: ServerResponse,
  deps: InteractionDeps
): Promise<void> {
  const provider = deps.provider()
  const details = await provider.interactionDetails(req, res)
  const url = new URL(req.url ?? '/', 'https://localhost')
  const action = url.pathname
  const form = req.method === 'POST' ? await readForm(req) : new URLSearchParams()
  const lang: Lang = pickLang(form.get('lang') ?? url.searchParams.get('lang'), details.params.ui_locales)
  const clientId = String(details.params.client_id)
  const name = appName(clientId)
  const requested = String(details.params.scope ?? '').split(' ').filter(Boolean)
  const wantsConsentPage = String(details.params.prompt ?? '').split(' ').includes('consent')
  const switches = deps.switches()

  if (details.prompt.name === 'login') {
    if (req.method !== 'POST') {
      return send(res, 200, loginPage({ lang, action, appName: name, loginHint: details.params.login_hint }))
    }
    const account = findAccountByUpn(form.get('upn') ?? '')
    const password = form.get('password') ?? ''
    const refusal = !account
      ? AADSTS.unknownUser(TENANT_ID)
      : !samePassword(password, account.password)
        ? AADSTS.badPassword()
        : account.signInBlocked
          ? AADSTS.accountDisabled()
          : undefined
    if (refusal || !account) {
      const [code, , text] = refusal ?? AADSTS.badPassword()
      const error = `AADSTS${code}: ${text}`
      return send(res, 200, loginPage({ lang, action, appName: name, loginHint: form.get('upn') ?? '', error }))
    }
    const login = { accountId: account.oid }
    if (consentMissingFor(account, requested, switches)) {
      return provider.interactionFinished(req, res, { login, ...consentError(details, deps) })
    }
    if (wantsConsentPage) return provider.interactionFinished(req, res, { login })
    const grantId = await makeGrant(provider, details, account, switches)
    return provider.interactionFinished(req, res, { login, consent: { grantId } })
  }

  // The consent prompt: the session has an account.
  const account = findAccountByOid(String(details.session?.accountId ?? ''))
  if (!account) return send(res, 400, loginPage({ lang, action, appName: name, error: 'session lost' }))
  if (consentMissingFor(account, requested, switches)) {
    return provider.interactionFinished(req, res, consentError(details, deps))
  }
  if (wantsConsentPage && req.method !== 'POST') {
    return send(res, 200, consentPage({ lang, action, appName: name, upn: account.upn, scopes: requested }))
  }
  if (req.method === 'POST' && form.get('action') === 'cancel') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'AADSTS65004: User declined to consent to access the app.',
    })
  }
  const grantId = await makeGrant(provider, details, account, switches)
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
}
