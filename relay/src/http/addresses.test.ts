import { describe, expect, it } from 'vitest'
import { isPublicAddress } from './addresses.ts'

describe('isPublicAddress', () => {
  it.each([
    '52.96.1.2',
    '40.99.10.18',
    '8.8.8.8',
    '2603:1036:3000::1',
    '2001:4860::8888',
    '::ffff:52.96.1.2',
    '64:ff9b::808:808',
  ])('public: %s', (ip) => expect(isPublicAddress(ip)).toBe(true))

  it.each([
    '0.0.0.0',
    '10.1.2.3',
    '100.64.0.1',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.2.1',
    '192.168.1.1',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::a00:1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1%eth0',
    'ff02::1',
    '2001:db8::1',
    '100::1',
    'localhost',
    'not an ip',
  ])('not public: %s', (ip) => expect(isPublicAddress(ip)).toBe(false))

  it('keeps 172.32.0.0 (just outside 172.16/12) public', () => {
    expect(isPublicAddress('172.32.0.1')).toBe(true)
  })
})
