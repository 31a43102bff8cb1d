import { describe, expect, it } from 'vitest'
import { entraError, entraStatus, AADSTS } from './aadsts.ts'
import { loginPage } from './idp-pages.ts'
import { esc, pickLang } from './html.ts'
import { normalizePath } from './idp-hooks.ts'
import { redirectUriMatches } from './redirect.ts'
import { applySwitches, defaultSwitches } from './switches.ts'
import { findAccountByUpn, outlookScopeName, TENANT_ID } from './tenant.ts'
import { consentMissingFor, grantedOutlookNames } from './idp-config.ts'

describe('redirectUriMatches (Entra reply-url rules)', () => {
  it('ignores the port of http://localhost and treats a missing path as /', () => {
    expect(redirectUriMatches(['http://localhost'], 'http://localhost:8787')).toBe(true)
    expect(redirectUriMatches(['http://localhost'], 'http://localhost:5173/')).toBe(true)
    expect(redirectUriMatches(['http://localhost'], 'http://localhost/')).toBe(true)
  })
  it('still compares the path, the host and the scheme', () => {
    expect(redirectUriMatches(['http://localhost'], 'http://localhost:8787/cb')).toBe(false)
    expect(redirectUriMatches(['http://localhost'], 'http://127.0.0.1:8787/')).toBe(false)
    expect(redirectUriMatches(['http://localhost'], 'https://localhost:8787/')).toBe(false)
  })
  it('matches other URIs exactly', () => {
    const spa = ['http://localhost:8787/redirect-bridge.html']
    expect(redirectUriMatches(spa, 'http://localhost:8787/redirect-bridge.html')).toBe(true)
    expect(redirectUriMatches(spa, 'http://localhost:8787/other.html')).toBe(false)
    expect(redirectUriMatches(['https://app.example/cb'], 'https://app.example:444/cb')).toBe(false)
    expect(redirectUriMatches(spa, 'not a url')).toBe(false)
    expect(redirectUriMatches([], 'http://localhost/')).toBe(false)
  })
})

describe('normalizePath', () => {
  it("accepts the seed's V2.0 spelling and both discovery paths", () => {
    expect(normalizePath(`/${TENANT_ID}/oauth2/V2.0/token`)).toBe(`/${TENANT_ID}/oauth2/v2.0/token`)
    expect(normalizePath(`/${TENANT_ID.toUpperCase()}/OAuth2/v2.0/authorize`)).toBe(
      `/${TENANT_ID}/oauth2/v2.0/authorize`
    )
    expect(normalizePath(`/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).toBe(
      '/.well-known/openid-configuration'
    )
    expect(normalizePath(`/${TENANT_ID}/.well-known/openid-configuration`)).toBe('/.well-known/openid-configuration')
  })
  it('leaves other paths alone (interaction IDs are case-sensitive)', () => {
    expect(normalizePath(`/${TENANT_ID}/login/AbC-12`)).toBe(`/${TENANT_ID}/login/AbC-12`)
    expect(normalizePath('/other/oauth2/V2.0/token')).toBe('/other/oauth2/V2.0/token')
  })
})

describe('entraError', () => {
  it('has the AADSTS prefix, the code list and the trace fields', () => {
    const e = entraError(...AADSTS.secretExpired('app-id'), 'https://localhost:1')
    expect(e.error).toBe('invalid_client')
    expect(e.error_description).toMatch(/^AADSTS7000222: The provided client secret keys for app 'app-id' are expired\./)
    // Entra puts the trace lines after CRLFs: a client showing the first line shows the text.
    const lines = e.error_description.split('\r\n')
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual(['Trace ID', 'Correlation ID', 'Timestamp'])
    expect(lines[0]).toMatch(/are expired\. .*https:\/\/aka\.ms\/certCreds\.$/)
    expect(e.error_codes).toEqual([7000222])
    expect(e.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/)
    expect(e.trace_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(e.correlation_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(entraStatus(e.error)).toBe(401)
    expect(entraStatus('invalid_grant')).toBe(400)
  })
})

describe('switches', () => {
  it('applies known boolean switches and refuses anything else as a whole', () => {
    const s = defaultSwitches()
    expect(applySwitches(s, { webSecretExpired: true }).next.webSecretExpired).toBe(true)
    const bad = applySwitches(s, { webSecretExpired: true, nope: true, consentMissing: 'yes' })
    expect(bad.bad).toEqual(['nope', 'consentMissing'])
    expect(bad.next.webSecretExpired).toBe(false)
    expect(applySwitches(s, [true]).bad.length).toBe(1)
  })
})

describe('scopes and consent', () => {
  it('recognises Outlook scopes on both hosts', () => {
    expect(outlookScopeName('https://outlook.office.com/SMTP.Send')).toBe('SMTP.Send')
    expect(outlookScopeName('https://outlook.office365.com/SMTP.Send')).toBe('SMTP.Send')
    expect(outlookScopeName('https://outlook.office.com/.default')).toBe('.default')
    expect(outlookScopeName('https://outlook.office.com/SMTP.SendAsApp')).toBeUndefined()
    expect(outlookScopeName('openid')).toBeUndefined()
  })
  it('grants only consented scopes; .default expands to them', () => {
    const jiro = findAccountByUpn('JIRO@sandbox.mailkey.test')!
    const taro = findAccountByUpn('taro@sandbox.mailkey.test')!
    const s = defaultSwitches()
    const send = ['https://outlook.office.com/SMTP.Send']
    expect(consentMissingFor(jiro, send, s)).toBe(true)
    expect(consentMissingFor(taro, send, s)).toBe(false)
    expect(consentMissingFor(taro, send, { ...s, consentMissing: true })).toBe(true)
    expect(grantedOutlookNames(jiro, ['https://outlook.office.com/.default'], s)).toEqual(['IMAP.AccessAsUser.All'])
  })
})

describe('html helpers', () => {
  it('escapes markup and picks the language', () => {
    expect(esc('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;')
    expect(pickLang(undefined, undefined)).toBe('ja')
    expect(pickLang(null, 'en-US ja')).toBe('en')
    expect(pickLang('ja', 'en')).toBe('ja')
    expect(pickLang('fr', 'de')).toBe('ja')
  })
})

describe('loginPage', () => {
  it('describes the sandbox users in the page language', () => {
    const input = { action: '/t/login/x', appName: 'mailkey sandbox (Web)' }
    const ja = loginPage({ ...input, lang: 'ja' })
    expect(ja).toContain('<html lang="ja">')
    expect(ja).toContain('メールボックスの SMTP AUTH が無効')
    expect(ja).not.toContain('SMTP AUTH disabled for the mailbox')
    const en = loginPage({ ...input, lang: 'en' })
    expect(en).toContain('SMTP AUTH disabled for the mailbox')
    expect(en).not.toContain('メールボックスの SMTP AUTH が無効')
  })
})
