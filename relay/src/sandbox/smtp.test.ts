import { generateKeyPairSync } from 'node:crypto'
import { SignJWT, importJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { contentDisposition } from './routes.ts'
import { maySendAs, REPLIES, sendAsDenied } from './smtp.ts'
import { createTokenVerifier, publicJwks } from './verify.ts'

const ISSUER = 'https://localhost:1/tid/v2.0'
const jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }

async function token(claims: Record<string, unknown>, expiresIn = 600): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ aud: 'https://outlook.office.com', scp: 'SMTP.Send', upn: 'taro@sandbox.mailkey.test', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + expiresIn)
    .sign(await importJWK(jwk as never, 'RS256'))
}

describe('token verifier', () => {
  const verify = createTokenVerifier(publicJwks(jwk), ISSUER)
  it('accepts a good token for the same user (case-insensitive), never publishing the private key', async () => {
    expect(publicJwks(jwk).keys[0]).not.toHaveProperty('d')
    expect(await verify(await token({}), 'Taro@Sandbox.Mailkey.Test')).toMatchObject({ ok: true })
  })
  it('names the reason of each refusal', async () => {
    expect(await verify(await token({}, -120), 'taro@sandbox.mailkey.test')).toEqual({ ok: false, reason: 'expired' })
    expect(await verify(await token({ aud: 'https://graph.microsoft.com' }), 'taro@sandbox.mailkey.test')).toEqual({ ok: false, reason: 'audience' })
    expect(await verify(await token({ scp: 'IMAP.AccessAsUser.All' }), 'taro@sandbox.mailkey.test')).toEqual({ ok: false, reason: 'scope' })
    expect(await verify(await token({}), 'shared@sandbox.mailkey.test')).toEqual({ ok: false, reason: 'user' })
    expect(await verify('garbage', 'taro@sandbox.mailkey.test')).toEqual({ ok: false, reason: 'invalid' })
    const other = createTokenVerifier(publicJwks(jwk), 'https://elsewhere/v2.0')
    expect(await other(await token({}), 'taro@sandbox.mailkey.test')).toEqual({ ok: false, reason: 'invalid' })
  })
})

describe('Microsoft 365 replies', () => {
  it('uses Exchange texts', () => {
    expect(REPLIES.notAuthenticated).toEqual([530, '5.7.57 Client not authenticated to send mail'])
    expect(sendAsDenied('a@x', 'b@x').message).toBe(
      '5.2.252 SendAsDenied; a@x not allowed to send as b@x; STOREDRV.Submission.Exception:SendAsDeniedException'
    )
    expect(maySendAs('taro@sandbox.mailkey.test', 'TARO@sandbox.mailkey.test')).toBe(true)
    expect(maySendAs('taro@sandbox.mailkey.test', 'shared@sandbox.mailkey.test')).toBe(false)
    expect(maySendAs('nobody@x', 'nobody@x')).toBe(false)
  })
})

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187)', () => {
    expect(contentDisposition('報告書.pdf')).toBe(
      `attachment; filename="___.pdf"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf`
    )
    expect(contentDisposition('a"b\\c.txt')).toBe(`attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`)
  })
})
