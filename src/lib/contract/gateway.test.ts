import { describe, expect, it } from 'vitest'
import { ERROR_STATUS } from './api.ts'
import {
  DeviceCreate,
  GATEWAY_ERROR_STATUS,
  MailboxCreate,
  MailboxItem,
  MailboxPatch,
  SetupRequest,
} from './gateway.ts'

const create = {
  name: '複合機',
  address: 'scanner@contoso.com',
  smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
  tokenSource: 'app',
  tenantId: '11111111-2222-3333-4444-555555555555',
  clientId: 'abc',
  clientSecret: 'v~secret',
  tokenEndpoint: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
}

describe('gateway contract', () => {
  it('keeps its error codes in the shared table with their statuses', () => {
    for (const [code, status] of Object.entries(GATEWAY_ERROR_STATUS)) {
      expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS]).toBe(status)
    }
  })

  it('accepts a mailbox as GATEWAY.md writes it and refuses bad fields', () => {
    expect(MailboxCreate.safeParse(create).success).toBe(true)
    expect(MailboxCreate.safeParse({ ...create, secretExpires: '2027-03-31' }).success).toBe(true)
    expect(MailboxCreate.safeParse({ ...create, secretExpires: '31/03/2027' }).success).toBe(false)
    expect(MailboxCreate.safeParse({ ...create, tokenSource: 'spa-pkce' }).success).toBe(false)
    expect(MailboxCreate.safeParse({ ...create, tokenEndpoint: 'http://x/token' }).success).toBe(false)
    expect(MailboxCreate.safeParse({ ...create, address: 'a\r\nb@c.d' }).success).toBe(false)
    expect(MailboxCreate.safeParse({ ...create, clientSecret: '' }).success).toBe(false)
  })

  it('patches any subset, clears with null, refuses an empty patch', () => {
    expect(MailboxPatch.safeParse({ name: 'x' }).success).toBe(true)
    expect(MailboxPatch.safeParse({ secretExpires: null }).success).toBe(true)
    expect(MailboxPatch.safeParse({}).success).toBe(false)
  })

  it('needs a 12-character password at setup', () => {
    expect(SetupRequest.safeParse({ code: 'c', password: 'short' }).success).toBe(false)
    expect(SetupRequest.safeParse({ code: 'c', password: 'パスワードは十二文字以上です' }).success).toBe(true)
  })

  it('a device needs at least one way in', () => {
    expect(DeviceCreate.safeParse({ name: 'mfd', mailboxId: 'm', fromPolicy: 'mailbox' }).success).toBe(false)
    expect(
      DeviceCreate.safeParse({ name: 'mfd', mailboxId: 'm', allowIps: ['192.0.2.0/24'], fromPolicy: 'keep' }).success,
    ).toBe(true)
  })

  it('a list item has no field for a secret', () => {
    const keys = Object.keys(MailboxItem.shape)
    for (const k of keys) expect(k).not.toMatch(/secret$|token$|password/i)
  })
})
