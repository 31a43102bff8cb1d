import { describe, expect, it } from 'vitest'
import { validate } from '$lib/settings/validate.ts'
import { defaultSettings, type SandboxValues } from '$lib/settings/model.ts'
import { SettingsPage } from './settings-page.svelte.ts'

const TID = '5b1e6f2a-3c4d-4e8f-9a0b-7c6d5e4f3a2b'
const sandbox: SandboxValues = {
  tenantId: TID,
  clientId: '0d6f4c1e-8a2b-4c3d-9e5f-1a2b3c4d5e6f',
  spaClientId: '3a9c5e7b-1d2f-4a6b-8c0d-2e4f6a8b0c1d',
  clientSecret: 'mkQ8Q~Sandbox.Web-Secret_Value-0123456789',
  authorizeEndpoint: `https://localhost:8788/${TID}/oauth2/v2.0/authorize`,
  tokenEndpoint: `https://localhost:8788/${TID}/oauth2/v2.0/token`,
  smtp: { host: 'localhost', port: 8587, security: 'starttls' },
  users: [{ upn: 'taro@sandbox.mailkey.test' }],
}

function page(): SettingsPage {
  const p = new SettingsPage()
  p.validator = validate
  // The store is the app's singleton: each test starts from the defaults.
  p.store.replace(defaultSettings())
  return p
}

describe('SettingsPage', () => {
  it('fills the sandbox preset and follows the token mode with the right registration', () => {
    const p = page()
    p.sandbox = sandbox
    p.setPreset('sandbox')
    expect([p.s.host, p.s.port, p.s.clientId]).toEqual(['localhost', '8587', sandbox.spaClientId])
    p.setTokenMode('web-secret')
    expect(p.s.clientId).toBe(sandbox.clientId)
    p.s.host = 'smtp.example.com'
    p.edited()
    expect(p.s.preset).toBe('custom')
  })

  it('writes the tenant into both endpoints', () => {
    const p = page()
    p.setTenant(TID)
    expect(p.s.authorizeEndpoint).toBe(`https://login.microsoftonline.com/${TID}/oauth2/V2.0/authorize`)
    expect(p.s.tokenEndpoint).toBe(`https://login.microsoftonline.com/${TID}/oauth2/V2.0/token`)
  })

  it('shows every error of a purpose once that action was tried', () => {
    const p = page()
    expect(p.errorOf('clientId')).toBeUndefined()
    expect(p.check('signin')).toBe(false)
    expect(p.errorOf('clientId')).toBe('error.required')
    // The tenant ID that fills both endpoints is asked for first, not the endpoints.
    expect(p.invalidFields('signin')).toEqual(['tenantId', 'clientId'])
    expect(p.check('save')).toBe(true)
  })

  it('keeps the Microsoft 365 preset while the tenant, client ID, secret and addresses are filled in', () => {
    const p = page()
    p.setTenant(TID)
    p.edited()
    p.s.clientId = sandbox.clientId
    p.s.clientSecret = 'abc~def'
    p.s.to = 'a@contoso.example'
    p.edited()
    expect(p.s.preset).toBe('m365')
    expect(p.presetTouched).toBe(true)
    p.s.security = 'tls'
    p.edited()
    expect(p.s.preset).toBe('custom')
  })
})
