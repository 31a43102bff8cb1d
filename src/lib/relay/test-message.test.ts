import { describe, expect, it } from 'vitest'
import { SendRequest } from '../contract/api.ts'
import { defaultSettings } from '../settings/model.ts'
import { sendAuth, testRequest } from './test-message.ts'

describe('test message', () => {
  const s = { ...defaultSettings(), to: 'admin@contoso.example', from: '送信者 <sender@contoso.example>' }

  it('builds a contract-valid xoauth2 request with the signed-in account as user', () => {
    const req = testRequest(s, sendAuth(s, { token: 'eyJ.x.y', user: 'me@contoso.example' }), {
      subject: 'mailkey テストメール (12:00)',
      body: '本文',
    })
    expect(SendRequest.safeParse(req).success).toBe(true)
    expect(req.auth).toEqual({ type: 'xoauth2', user: 'me@contoso.example', accessToken: 'eyJ.x.y' })
    expect(req.smtp).toEqual({
      host: 'smtp.office365.com',
      port: 587,
      security: 'starttls',
      reuse: false,
    })
  })

  it('uses LOGIN for password auth and none for none', () => {
    expect(sendAuth({ ...s, authType: 'password', user: ' u ', password: 'p' })).toEqual({ type: 'login', user: 'u', password: 'p' })
    expect(sendAuth({ ...s, authType: 'none' })).toEqual({ type: 'none' })
    expect(() => sendAuth(s)).toThrow()
  })
})
