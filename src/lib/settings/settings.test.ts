import { describe, expect, it } from 'vitest'
import {
  applyPreset,
  authorityOf,
  defaultSettings,
  M365_AUTHORIZE,
  presetHolds,
  M365_TOKEN,
  sandboxClientId,
  sandboxUserDescription,
  secretLooksLikeId,
  tenantOf,
  withTenant,
  type SandboxValues,
} from './model.ts'
import { readSettings, toExport, toStorage } from './persist.ts'
import { addMonths, secretExpiryState } from './expiry.ts'
import { checkEndpoints, validate } from './validate.ts'

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const CID = '11111111-2222-3333-4444-555555555555'
const sandbox: SandboxValues = {
  tenantId: TID,
  clientId: CID,
  spaClientId: '99999999-2222-3333-4444-555555555555',
  clientSecret: 'abc~def.ghi',
  authorizeEndpoint: `https://localhost:4443/${TID}/oauth2/v2.0/authorize`,
  tokenEndpoint: `https://localhost:4443/${TID}/oauth2/v2.0/token`,
  smtp: { host: 'localhost', port: 2587, security: 'starttls' },
  users: [{ upn: 'alice@sandbox.example' }],
}

describe('model', () => {
  it('defaults to the seed: smtp.office365.com:587, StartTLS, OAuth 2.0, V2.0 endpoints', () => {
    const d = defaultSettings()
    expect([d.host, d.port, d.security, d.authType, d.tokenMode]).toEqual([
      'smtp.office365.com', '587', 'starttls', 'oauth2', 'spa-pkce',
    ])
    expect(d.authorizeEndpoint).toBe(
      'https://login.microsoftonline.com/{YourTenantId}/oauth2/V2.0/authorize'
    )
  })

  it('writes the tenant into both endpoints, replacing the placeholder or an earlier tenant', () => {
    const once = withTenant(TID, M365_AUTHORIZE, M365_TOKEN)
    expect(once.authorizeEndpoint).toBe(`https://login.microsoftonline.com/${TID}/oauth2/V2.0/authorize`)
    expect(once.tokenEndpoint).toBe(`https://login.microsoftonline.com/${TID}/oauth2/V2.0/token`)
    const again = withTenant('contoso.onmicrosoft.com', once.authorizeEndpoint, once.tokenEndpoint)
    expect(again.tokenEndpoint).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/V2.0/token')
    expect(withTenant('', 'a', 'b')).toEqual({ authorizeEndpoint: 'a', tokenEndpoint: 'b' })
    expect(withTenant(TID, '', '').tokenEndpoint).toContain(`/${TID}/oauth2/V2.0/token`)
    expect(tenantOf(M365_AUTHORIZE)).toBeUndefined()
    expect(tenantOf(once.authorizeEndpoint)).toBe(TID)
  })

  it('derives the MSAL authority and known authority from the authorize endpoint', () => {
    expect(authorityOf(sandbox.authorizeEndpoint)).toEqual({
      authority: `https://localhost:4443/${TID}`,
      host: 'localhost:4443',
    })
  })

  it('fills the sandbox preset from /api/config, picking the registration for the token mode', () => {
    const s = applyPreset(defaultSettings(), 'sandbox', sandbox)
    expect([s.host, s.port, s.clientId, s.from, s.to]).toEqual([
      'localhost', '2587', sandbox.spaClientId, 'alice@sandbox.example', 'alice@sandbox.example',
    ])
    expect(sandboxClientId(sandbox, 'web-secret')).toBe(CID)
    expect(sandboxClientId({ ...sandbox, spaClientId: undefined }, 'spa-pkce')).toBe(CID)
    const back = applyPreset(s, 'm365')
    expect([back.host, back.port]).toEqual(['smtp.office365.com', '587'])
    expect(back.authorizeEndpoint).toBe(`https://login.microsoftonline.com/${TID}/oauth2/V2.0/authorize`)
  })

  it("describes a sandbox user in the page's language, English when no Japanese is given", () => {
    const u = { upn: 'a@sandbox.example', description: 'Works.', descriptionJa: '正常。' }
    expect(sandboxUserDescription(u, 'ja')).toBe('正常。')
    expect(sandboxUserDescription(u, 'en')).toBe('Works.')
    expect(sandboxUserDescription({ upn: u.upn, description: 'Works.' }, 'ja')).toBe('Works.')
    expect(sandboxUserDescription({ upn: u.upn }, 'en')).toBe('')
  })
})

describe('validate', () => {
  const filled = { ...applyPreset(defaultSettings(), 'sandbox', sandbox), tokenMode: 'web-secret' as const }

  it('accepts a complete sandbox setup for every purpose', () => {
    expect(validate(filled, 'save')).toEqual({})
    expect(validate(filled, 'signin')).toEqual({})
    expect(validate(filled, 'send')).toEqual({})
  })

  it('lets the untouched seed template be saved, but not used to sign in', () => {
    expect(validate(defaultSettings(), 'save')).toEqual({})
    const e = validate(defaultSettings(), 'signin')
    // The tenant ID fills both endpoints: it is asked for first, the endpoints not at all.
    expect(Object.keys(e)).toEqual(['tenantId', 'clientId'])
    expect(e.tenantId).toBe('error.required')
    // Endpoints typed by hand with a tenant need no tenant ID field; a placeholder left is named.
    const typed = withTenant(TID, M365_AUTHORIZE, M365_TOKEN)
    expect(validate({ ...defaultSettings(), ...typed, clientId: CID }, 'signin')).toEqual({})
    const half = { ...defaultSettings(), tenantId: TID, authorizeEndpoint: typed.authorizeEndpoint, clientId: CID }
    expect(validate(half, 'signin')).toEqual({ tokenEndpoint: 'error.placeholder' })
  })

  it('keeps a preset while the admin fills in what it leaves open, not when a fixed value changes', () => {
    const m365 = { ...defaultSettings(), ...withTenant(TID, M365_AUTHORIZE, M365_TOKEN), tenantId: TID, clientId: CID }
    expect(presetHolds({ ...m365, clientSecret: 'x~y', to: 'a@b.example', from: 'c@d.example' })).toBe(true)
    expect(presetHolds({ ...m365, authorizeEndpoint: m365.authorizeEndpoint.replace('V2.0', 'v2.0') })).toBe(true)
    expect(presetHolds({ ...m365, host: 'smtp.example.com' })).toBe(false)
    expect(presetHolds({ ...m365, port: '465' })).toBe(false)
    expect(presetHolds({ ...m365, security: 'tls' })).toBe(false)
    expect(presetHolds({ ...m365, tokenEndpoint: `https://login.example.com/${TID}/oauth2/v2.0/token` })).toBe(false)
    const sb = applyPreset(defaultSettings(), 'sandbox', sandbox)
    expect(presetHolds({ ...sb, to: 'x@y.example' }, sandbox)).toBe(true)
    expect(presetHolds({ ...sb, port: '25' }, sandbox)).toBe(false)
  })

  it('checks the secret expiry only where a secret is used (web-secret)', () => {
    const bad = { ...filled, secretExpires: '2099-01-01' }
    expect(validate(bad, 'save').secretExpires).toBe('error.expiryTooLong')
    expect(validate({ ...bad, tokenMode: 'spa-pkce' }, 'save').secretExpires).toBeUndefined()
    expect(validate({ ...bad, tokenMode: 'implicit' }, 'save').secretExpires).toBeUndefined()
  })

  it('flags bad values next to their fields', () => {
    const e = validate(
      { ...filled, host: 'https://smtp.office365.com', port: '99999', clientId: 'abc', to: 'x', from: 'a@b' },
      'save'
    )
    expect(e).toMatchObject({ host: 'error.host', port: 'error.port', clientId: 'error.guid', to: 'error.address' })
    expect(e.from).toBeUndefined()
  })

  it('warns about a secret ID entered instead of the value, without refusing it', () => {
    expect(secretLooksLikeId(CID)).toBe(true)
    expect(secretLooksLikeId(sandbox.clientSecret)).toBe(false)
    expect(validate({ ...filled, clientSecret: CID }, 'signin').clientSecret).toBeUndefined()
  })

  it('requires the secret for web-secret sign-in only', () => {
    expect(validate({ ...filled, clientSecret: '' }, 'signin').clientSecret).toBe('error.required')
    expect(validate({ ...filled, clientSecret: '', tokenMode: 'spa-pkce' }, 'signin')).toEqual({})
  })

  it('checks the endpoints: https, path, same tenant; V2.0 and v2.0 both accepted', () => {
    const a = `https://login.microsoftonline.com/${TID}/oauth2/V2.0/authorize`
    const t = `https://login.microsoftonline.com/${TID}/oauth2/v2.0/token`
    expect(checkEndpoints(a, t)).toEqual({})
    expect(checkEndpoints(a.replace('https', 'http'), t).authorizeEndpoint).toBe('error.https')
    expect(checkEndpoints(t, t).authorizeEndpoint).toBe('error.authorizePath')
    expect(checkEndpoints(a, a).tokenEndpoint).toBe('error.tokenPath')
    expect(checkEndpoints(a, t.replace(TID, 'common')).tokenEndpoint).toBe('error.sameTenant')
    expect(checkEndpoints('nope', t).authorizeEndpoint).toBe('error.url')
  })

  it('warns about the secret from 30 days before expiry; at most 2 years ahead', () => {
    const now = new Date('2026-11-26T12:00:00Z')
    expect(secretExpiryState('2027-05-26', now).kind).toBe('ok')
    expect(secretExpiryState('2026-12-20', now)).toEqual({ kind: 'soon', days: 24 })
    expect(secretExpiryState('2026-11-01', now).kind).toBe('expired')
    expect(secretExpiryState('', now).kind).toBe('none')
    expect(validate({ ...filled, secretExpires: '2030-01-01' }, 'save', now).secretExpires).toBe('error.expiryTooLong')
    expect(addMonths(now, 6)).toBe('2027-05-26')
    expect(addMonths(new Date('2026-08-31T00:00:00Z'), 6)).toBe('2027-02-28')
    expect(validate({ ...filled, secretExpires: addMonths(now, 24) }, 'save', now).secretExpires).toBeUndefined()
  })
})

describe('persist', () => {
  const s = { ...applyPreset(defaultSettings(), 'sandbox', sandbox), password: 'pw' }

  it('stores the secret only when remembered', () => {
    expect(toStorage(s)).not.toContain(sandbox.clientSecret)
    expect(toStorage(s)).not.toContain('"pw"')
    const kept = readSettings(toStorage({ ...s, rememberSecret: true }))
    expect(kept.ok && kept.settings.clientSecret).toBe(sandbox.clientSecret)
    const dropped = readSettings(toStorage(s))
    expect(dropped.ok && dropped.settings.clientSecret).toBe('')
  })

  it('round-trips an export, secrets only when asked', () => {
    const plain = readSettings(toExport(s, false))
    expect(plain.ok && plain.settings).toEqual({ ...s, clientSecret: '', password: '' })
    const full = readSettings(toExport(s, true))
    expect(full.ok && full.settings).toEqual(s)
  })

  it('migrates version 1 and refuses foreign or newer files', () => {
    const old = readSettings(JSON.stringify({ v: 1, settings: { host: 'h.example', port: 25 } }))
    expect(old).toMatchObject({ ok: true, migrated: true, settings: { host: 'h.example', port: '25', tokenMode: 'spa-pkce' } })
    expect(readSettings('{')).toEqual({ ok: false, reason: 'json' })
    expect(readSettings('{"a":1}')).toEqual({ ok: false, reason: 'notSettings' })
    expect(readSettings(JSON.stringify({ v: 99, settings: {} }))).toEqual({ ok: false, reason: 'newerVersion' })
    expect(readSettings(JSON.stringify({ v: 2, settings: { security: 'ssl' } }))).toEqual({ ok: false, reason: 'notSettings' })
  })
})
