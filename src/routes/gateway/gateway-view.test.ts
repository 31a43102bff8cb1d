import { describe, expect, it } from 'vitest'
import { defaultSettings, type SandboxValues } from '$lib/settings/model.ts'
import { bareAddress, formFromSandbox, formFromSettings, toCreate, withFormTenant } from './mailbox-form.ts'
import { passwordProblem } from './setup.ts'
import { authorizeEndpointOf, dateTimeZone, distance, moment, secretCountdown } from './view.ts'

const NOW = Date.parse('2026-12-02T05:00:00Z')

describe('gateway times', () => {
  it('shows date, time and time zone', () => {
    const ms = Date.parse('2026-12-02T05:04:00Z')
    expect(dateTimeZone(ms, 'ja', 'Asia/Tokyo')).toBe('2026/12/02 14:04 JST')
    expect(dateTimeZone(ms, 'en', 'UTC')).toBe('02 Dec 2026, 05:04 UTC')
  })

  it('measures distance in minutes, hours, then days', () => {
    expect(distance(NOW, NOW + 40_000)).toEqual({ unit: 'minutes', m: 1 })
    expect(distance(NOW, NOW + 50 * 60_000)).toEqual({ unit: 'minutes', m: 50 })
    expect(distance(NOW, NOW - 90 * 60_000)).toEqual({ unit: 'hours', h: 1, m: 30 })
    expect(distance(NOW, NOW + 3 * 86_400_000 + 5)).toEqual({ unit: 'days', d: 3 })
  })

  it('reads ISO strings and epoch milliseconds, nothing else', () => {
    expect(moment('2026-12-02T05:00:00Z')).toBe(NOW)
    expect(moment(NOW)).toBe(NOW)
    expect(moment(null)).toBeUndefined()
    expect(moment('')).toBeUndefined()
    expect(moment('soon')).toBeUndefined()
  })
})

describe('secret countdown', () => {
  it('counts days to the end of the expiry date, warning from 30 days', () => {
    expect(secretCountdown('2027-06-01', NOW)).toEqual({ kind: 'left', days: 181, date: '2027-06-01', warn: false })
    expect(secretCountdown('2026-12-31', NOW)).toEqual({ kind: 'left', days: 29, date: '2026-12-31', warn: true })
  })
  it('says today and expired', () => {
    expect(secretCountdown('2026-12-02', NOW)).toEqual({ kind: 'today', date: '2026-12-02' })
    expect(secretCountdown('2026-12-01', NOW)).toEqual({ kind: 'expired', date: '2026-12-01' })
  })
  it('accepts a full ISO moment and knows when nothing was entered', () => {
    expect(secretCountdown('2026-12-10T00:00:00Z', NOW)).toMatchObject({ kind: 'left', days: 7 })
    expect(secretCountdown(null, NOW)).toEqual({ kind: 'unknown' })
    expect(secretCountdown('someday', NOW)).toEqual({ kind: 'unknown' })
  })
})

describe('the mailbox form', () => {
  it('takes the settings page values over, secret included, web-secret as delegated', () => {
    const s = {
      ...defaultSettings(),
      tenantId: '',
      tokenEndpoint: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/V2.0/token',
      clientId: ' 11111111-2222-3333-4444-555555555555 ',
      clientSecret: 'Abc~secret.value',
      secretExpires: '2027-05-31',
      tokenMode: 'web-secret' as const,
      from: 'Scanner <scanner@contoso.com>',
    }
    const f = formFromSettings(s)
    expect(f).toMatchObject({
      name: 'scanner',
      address: 'scanner@contoso.com',
      tokenSource: 'delegated',
      tenantId: 'contoso.onmicrosoft.com',
      clientId: '11111111-2222-3333-4444-555555555555',
      clientSecret: 'Abc~secret.value',
      secretExpires: '2027-05-31',
    })
    expect(formFromSettings({ ...s, tokenMode: 'spa-pkce' }).tokenSource).toBe('app')
  })

  it('builds the create request of GATEWAY.md', () => {
    const f = withFormTenant(formFromSettings({ ...defaultSettings(), from: 'a@contoso.com', clientSecret: 'x' }), 'tid-1')
    expect(toCreate(f)).toEqual({
      name: 'a',
      address: 'a@contoso.com',
      smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
      tokenSource: 'app',
      tenantId: 'tid-1',
      clientId: '',
      clientSecret: 'x',
      tokenEndpoint: 'https://login.microsoftonline.com/tid-1/oauth2/V2.0/token',
    })
    const d = toCreate({ ...f, tokenSource: 'delegated', secretExpires: '2027-01-01', port: 'x' })
    expect(d.authorizeEndpoint).toBe('https://login.microsoftonline.com/tid-1/oauth2/V2.0/authorize')
    expect(d.secretExpires).toBe('2027-01-01')
    expect(d.smtp.port).toBe(-1)
  })

  it('fills the sandbox Web app and its working user', () => {
    const sb: SandboxValues = {
      tenantId: 'sbx',
      clientId: 'web-app',
      clientSecret: 'sbx-secret',
      authorizeEndpoint: 'https://localhost:1/sbx/oauth2/v2.0/authorize',
      tokenEndpoint: 'https://localhost:1/sbx/oauth2/v2.0/token',
      smtp: { host: 'localhost', port: 2, security: 'starttls' },
      users: [{ upn: 'taro@sandbox.mailkey.test' }],
    }
    expect(formFromSandbox(sb, 'app')).toMatchObject({ address: 'taro@sandbox.mailkey.test', clientId: 'web-app', port: '2' })
  })

  it('reads the bare address', () => {
    expect(bareAddress('Name <a@b.c>')).toBe('a@b.c')
    expect(bareAddress(' a@b.c ')).toBe('a@b.c')
  })

  it('finds the authorize endpoint next to the token endpoint', () => {
    expect(authorizeEndpointOf({ tokenEndpoint: 'https://localhost:9/t/oauth2/v2.0/token' })).toBe(
      'https://localhost:9/t/oauth2/v2.0/authorize'
    )
    expect(authorizeEndpointOf({ authorizeEndpoint: 'https://x/a', tokenEndpoint: 'https://x/t' })).toBe('https://x/a')
    expect(authorizeEndpointOf({})).toBeUndefined()
  })
})

describe('the setup password', () => {
  it('needs 12 characters as a person counts them, typed twice alike', () => {
    expect(passwordProblem('short', 'short')).toBe('short')
    expect(passwordProblem('パスワードは十二文字以上', 'パスワードは十二文字以上')).toBeUndefined()
    expect(passwordProblem('😀😀😀😀😀😀😀😀😀😀😀', '')).toBe('short')
    expect(passwordProblem('twelve chars', 'twelve charz')).toBe('mismatch')
    expect(passwordProblem('twelve chars', 'twelve chars')).toBeUndefined()
  })
})
