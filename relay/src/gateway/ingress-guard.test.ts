import { describe, expect, it } from 'vitest'
import { AuthThrottle, ConnectionCounter } from './ingress-guard.ts'

describe('AuthThrottle', () => {
  it('waits longer after each failure from the same address, up to the cap', () => {
    const t = new AuthThrottle({ baseDelayMs: 500, maxDelayMs: 15_000 })
    const delays = Array.from({ length: 7 }, () => t.fail('192.0.2.7', 1_000))
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000])
    expect(t.failures('192.0.2.7', 1_000)).toBe(7)
  })

  it('counts each address on its own', () => {
    const t = new AuthThrottle({ baseDelayMs: 100 })
    t.fail('192.0.2.1', 0)
    t.fail('192.0.2.1', 0)
    expect(t.fail('192.0.2.2', 0)).toBe(100)
    expect(t.fail('192.0.2.1', 0)).toBe(400)
  })

  it('forgets failures after the quiet period', () => {
    const t = new AuthThrottle({ baseDelayMs: 100, forgetAfterMs: 60_000 })
    t.fail('192.0.2.1', 0)
    t.fail('192.0.2.1', 10_000)
    expect(t.failures('192.0.2.1', 69_000)).toBe(2)
    expect(t.failures('192.0.2.1', 70_001)).toBe(0)
    expect(t.fail('192.0.2.1', 70_002)).toBe(100)
  })

  it('remembers a bounded number of addresses, dropping the oldest', () => {
    const t = new AuthThrottle({ maxAddresses: 2 })
    t.fail('a', 0)
    t.fail('b', 1)
    t.fail('c', 2)
    expect([t.failures('a', 3), t.failures('b', 3), t.failures('c', 3)]).toEqual([0, 1, 1])
  })
})

describe('ConnectionCounter', () => {
  it('gives each address at most max slots and frees them on release', () => {
    const c = new ConnectionCounter(2)
    expect([c.acquire('x'), c.acquire('x'), c.acquire('x'), c.acquire('y')]).toEqual([true, true, false, true])
    c.release('x')
    expect(c.acquire('x')).toBe(true)
    c.release('x')
    c.release('x')
    expect(c.count('x')).toBe(0)
  })
})
