import { describe, expect, it } from 'vitest'
import { mechanismFor } from './index.ts'

const text = (
  b: Uint8Array | undefined
) => (b === undefined ? undefined : new TextDecoder().decode(b))
const bytes = (s: string) => new TextEncoder().encode(s)

describe('SASL mechanisms', () => {
  it('XOAUTH2: user=…^Aauth=Bearer …^A^A; error challenge answered with nothing', () => {
    const m = mechanismFor({ type: 'xoauth2', user: 'u@example.com', accessToken: 'tok-123456' })
    expect(m?.name).toBe('XOAUTH2')
    expect(text(m?.initial())).toBe('user=u@example.com\x01auth=Bearer tok-123456\x01\x01')
    expect(m?.next(bytes('{"status":"401"}'))).toEqual({
      response: new Uint8Array(0),
      serverError: { status: '401' },
    })
    expect(m?.secrets).toContain('tok-123456')
  })

  it('OAUTHBEARER: GS2 header with escaped authzid; error challenge answered with ^A', () => {
    const m = mechanismFor({
      type: 'oauthbearer',
      user: 'a,b=c@example.com',
      accessToken: 'tok-123456',
    })
    expect(text(m?.initial())).toBe('n,a=a=2Cb=3Dc@example.com,\x01auth=Bearer tok-123456\x01\x01')
    expect(text(m?.next(bytes('not json')).response)).toBe('\x01')
    expect(m?.next(bytes('not json')).serverError).toBe('not json')
  })

  it('PLAIN: empty authzid; a challenge after the initial response aborts', () => {
    const m = mechanismFor({ type: 'plain', user: 'u', password: 'pässword' })
    expect(text(m?.initial())).toBe('\0u\0pässword')
    expect(() => m?.next(new Uint8Array(0))).toThrow()
  })

  it('LOGIN: no initial response, user then password, then it gives up', () => {
    const m = mechanismFor({ type: 'login', user: 'u', password: 'pw-123456' })
    expect(m?.initial()).toBeUndefined()
    expect(text(m?.next(bytes('Username:')).response)).toBe('u')
    expect(text(m?.next(bytes('Password:')).response)).toBe('pw-123456')
    expect(() => m?.next(bytes('More:'))).toThrow()
  })

  it('none: no mechanism', () => {
    expect(mechanismFor({ type: 'none' })).toBeUndefined()
  })
})
