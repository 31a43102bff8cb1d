import { describe, expect, it } from 'vitest'
import { parseMailbox, SendRequest, ERROR_STATUS, TokenRequest } from './api.ts'

const base = {
  smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
  auth: { type: 'xoauth2', user: 'sender@contoso.com', accessToken: 'eyJ.x.y' },
  message: { from: 'sender@contoso.com', to: ['admin@contoso.com'], subject: 'テスト', text: '本文' },
}

describe('parseMailbox', () => {
  it('reads a bare address', () => {
    expect(parseMailbox('a@b.example')).toEqual({ address: 'a@b.example' })
  })
  it('reads a Japanese display name, quoted or not', () => {
    expect(parseMailbox('山田 太郎 <taro@contoso.com>')).toEqual({ name: '山田 太郎', address: 'taro@contoso.com' })
    expect(parseMailbox('"山田, 太郎" <taro@contoso.com>')).toEqual({ name: '山田, 太郎', address: 'taro@contoso.com' })
  })
  it('refuses CR, LF, NUL and non-addresses', () => {
    for (const bad of ['a@b.c\r\nRCPT TO:<x@y.z>', 'a@b.c\n', 'a\0@b.c', 'no-at-sign', 'a@', '<a@b.c', 'x <a b@c.d>', '']) {
      expect(parseMailbox(bad), JSON.stringify(bad)).toBeUndefined()
    }
  })
})

describe('SendRequest', () => {
  it('accepts the example of API.md', () => {
    expect(SendRequest.safeParse(base).success).toBe(true)
  })
  it('refuses unknown fields, header injection and too many recipients', () => {
    expect(SendRequest.safeParse({ ...base, extra: 1 }).success).toBe(false)
    expect(SendRequest.safeParse({ ...base, message: { ...base.message, subject: 'a\r\nBcc: x@y.z' } }).success).toBe(false)
    const many = Array.from({ length: 101 }, (_, i) => `u${i}@contoso.com`)
    expect(SendRequest.safeParse({ ...base, message: { ...base.message, to: many } }).success).toBe(false)
  })
  it('refuses ^A and other controls in the SASL user and token, spaces in the token', () => {
    const auth = (over: Record<string, string>) => ({ ...base, auth: { ...base.auth, ...over } })
    const cases: Record<string, string>[] = [
      { user: 'a@b.c\x01auth=Bearer other' },
      { accessToken: 'eyJ.x.y\x01\x01' },
      { accessToken: 'eyJ.x y' },
      { accessToken: 'eyJ\t.x.y' },
    ]
    for (const over of cases) {
      expect(SendRequest.safeParse(auth(over)).success, JSON.stringify(over)).toBe(false)
      const bearer = { ...auth(over), auth: { ...auth(over).auth, type: 'oauthbearer' } }
      expect(SendRequest.safeParse(bearer).success, JSON.stringify(over)).toBe(false)
    }
    // CR, LF and NUL keep their message.
    const crlf = SendRequest.safeParse(auth({ accessToken: 'a\r\nQUIT' }))
    expect(crlf.error?.issues[0]?.message).toBe('The access token must not contain CR, LF or NUL')
  })
  it('maps every error code to a status', () => {
    expect(ERROR_STATUS.RATE_LIMITED).toBe(429)
    expect(ERROR_STATUS.TIMEOUT).toBe(504)
  })
  it('accepts a token request only for https endpoints', () => {
    const req = {
      tokenEndpoint: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
      clientId: 'c',
      clientSecret: 's~x',
      scope: 'https://outlook.office.com/SMTP.Send offline_access',
      grant: { type: 'refresh_token', refreshToken: 'r' },
    }
    expect(TokenRequest.safeParse(req).success).toBe(true)
    expect(TokenRequest.safeParse({ ...req, tokenEndpoint: 'http://login.microsoftonline.com/x' }).success).toBe(false)
  })
})

describe('well-formed Unicode in every request string', () => {
  it('refuses a lone UTF-16 surrogate and keeps pairs (emoji) and Japanese', () => {
    const send = (subject: string, text: string) =>
      SendRequest.safeParse({
        smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
        auth: { type: 'xoauth2', user: 'a@contoso.com', accessToken: 'tok' },
        message: { from: 'a@contoso.com', to: ['b@contoso.com'], subject, text },
      })
    expect(send('件名 😀', '本文 😀').success).toBe(true)
    expect(send('件名\ud83d', 'x').error?.issues[0]?.path).toEqual(['message', 'subject'])
    expect(send('x', 'a\ude00b').error?.issues[0]?.path).toEqual(['message', 'text'])
    const token = (clientSecret: string) =>
      TokenRequest.safeParse({
        tokenEndpoint: 'https://login.microsoftonline.com/t/oauth2/v2.0/token',
        clientId: 'c',
        clientSecret,
        scope: 's',
        grant: { type: 'refresh_token', refreshToken: 'r' },
      })
    expect(token('a~b😀').success).toBe(true)
    expect(token('a\ud800b').error?.issues[0]?.message).toMatch(/well-formed Unicode/)
  })
})
