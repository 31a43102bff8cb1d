import { describe, expect, it } from 'vitest'
import { hashPassword, scryptLoad, verifyPassword } from './crypto.ts'

describe('password hashes', () => {
  it('a password a person chose keeps the full scrypt cost; a generated secret a cheaper one', async () => {
    const chosen = await hashPassword('an admin chose this')
    const generated = await hashPassword('Xq7mPz3kRt9wLb2nVc4s', 'generated')
    expect(chosen.split('$').slice(0, 4)).toEqual(['scrypt', '32768', '8', '1'])
    expect(generated.split('$').slice(0, 4)).toEqual(['scrypt', '4096', '8', '1'])
    // The cost is in the hash: each verifies with its own, a wrong password with neither.
    expect(await verifyPassword('an admin chose this', chosen)).toBe(true)
    expect(await verifyPassword('Xq7mPz3kRt9wLb2nVc4s', generated)).toBe(true)
    expect(await verifyPassword('Xq7mPz3kRt9wLb2nVc4S', generated)).toBe(false)
    expect(await verifyPassword('an admin chose that', chosen)).toBe(false)
  })

  it('two hashes of one password differ (a salt each) and a malformed hash never verifies', async () => {
    const a = await hashPassword('same', 'generated')
    const b = await hashPassword('same', 'generated')
    expect(a).not.toBe(b)
    expect(await verifyPassword('same', 'scrypt$4096$8$1$')).toBe(false)
    expect(await verifyPassword('same', 'plain$same')).toBe(false)
  })

  it('runs one computation at a time (each holds 128 · N · r bytes), and each hash still verifies', async () => {
    scryptLoad.peak = 0
    const secrets = ['one', 'two', 'three', 'four', 'five']
    const hashes = await Promise.all(secrets.map((s) => hashPassword(s, 'generated')))
    const checks = await Promise.all(hashes.flatMap((h, i) => [verifyPassword(secrets[i]!, h), verifyPassword('wrong', h)]))
    expect(checks).toEqual(secrets.flatMap(() => [true, false]))
    expect(scryptLoad.peak).toBe(1)
    expect(scryptLoad.running).toBe(0)
  })
})
