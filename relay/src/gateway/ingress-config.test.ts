import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config.ts'
import { createCertificateAuthority, issueServerCertificate } from '../tls/certs.ts'
import { ingressWarnings, loadIngressConfig, parseListener } from './ingress-config.ts'

const fail = (env: Record<string, string>, runtime: 'node' | 'deno' = 'node', files: Record<string, string> = {}) => {
  try {
    loadIngressConfig(env, runtime, (p) => {
      if (p in files) return files[p] as string
      throw Object.assign(new Error('no'), { code: 'ENOENT' })
    })
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).message
  }
  throw new Error('expected a ConfigError')
}

describe('loadIngressConfig', () => {
  it('is off by default, with TLS 1.2 as the minimum and 10 connections per address', () => {
    expect(loadIngressConfig({})).toEqual({
      listeners: [],
      minTls: 'TLSv1.2',
      plaintextAuth: false,
      maxConnectionsPerAddress: 10,
    })
  })

  it('reads the listeners of GATEWAY.md, IPv6 and the default security', () => {
    const c = loadIngressConfig({
      RELAY_INGRESS: '0.0.0.0:2525/starttls, 0.0.0.0:465/tls,[::]:2526/none,127.0.0.1:587',
      RELAY_INGRESS_MIN_TLS: 'TLSv1',
      RELAY_INGRESS_PLAINTEXT_AUTH: '1',
      RELAY_INGRESS_MAX_PER_ADDRESS: '3',
    })
    expect(c.listeners).toEqual([
      { host: '0.0.0.0', port: 2525, security: 'starttls' },
      { host: '0.0.0.0', port: 465, security: 'tls' },
      { host: '::', port: 2526, security: 'none' },
      { host: '127.0.0.1', port: 587, security: 'starttls' },
    ])
    expect(c).toMatchObject({ minTls: 'TLSv1', plaintextAuth: true, maxConnectionsPerAddress: 3 })
  })

  it('reads RELAY_INGRESS_PROXY: off, every peer, or the load balancers\' addresses', () => {
    expect(loadIngressConfig({ RELAY_INGRESS_PROXY: '0' }).proxy).toBeUndefined()
    expect(loadIngressConfig({ RELAY_INGRESS_PROXY: '1' }).proxy).toBe(true)
    expect(loadIngressConfig({ RELAY_INGRESS_PROXY: '10.0.0.5, 10.0.0.6,::1' }).proxy).toEqual(['10.0.0.5', '10.0.0.6', '::1'])
    expect(fail({ RELAY_INGRESS_PROXY: 'lb.example' })).toBe(
      'RELAY_INGRESS_PROXY: expected 1, 0 or the load balancers\' IP addresses (comma-separated), got "lb.example"',
    )
    const warned = ingressWarnings(loadIngressConfig({ RELAY_INGRESS: '0.0.0.0:2525', RELAY_INGRESS_PROXY: '1' }))
    expect(warned.some((w) => w.startsWith('RELAY_INGRESS_PROXY=1: '))).toBe(true)
  })

  it('accepts port 0 (any free port)', () => {
    expect(parseListener('127.0.0.1:0/tls')).toEqual({ host: '127.0.0.1', port: 0, security: 'tls' })
  })

  it('names the variable in one line for each bad value', () => {
    expect(fail({ RELAY_INGRESS: '0.0.0.0:2525/ssl' })).toBe(
      'RELAY_INGRESS: "0.0.0.0:2525/ssl" is not host:port/security (security: starttls, tls or none), e.g. 0.0.0.0:2525/starttls,0.0.0.0:465/tls',
    )
    expect(fail({ RELAY_INGRESS: '0.0.0.0' })).toMatch(/^RELAY_INGRESS: "0\.0\.0\.0" is not host:port/)
    expect(fail({ RELAY_INGRESS: '0.0.0.0:70000' })).toMatch(/^RELAY_INGRESS: /)
    expect(fail({ RELAY_INGRESS: '0.0.0.0:25,0.0.0.0:25/tls' })).toBe('RELAY_INGRESS: "0.0.0.0:25" is listed twice')
    expect(fail({ RELAY_INGRESS_MIN_TLS: 'SSLv3' })).toBe(
      'RELAY_INGRESS_MIN_TLS: expected one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3',
    )
    expect(fail({ RELAY_INGRESS_PLAINTEXT_AUTH: 'yes' })).toBe('RELAY_INGRESS_PLAINTEXT_AUTH: expected 1 or 0')
    expect(fail({ RELAY_INGRESS_MAX_PER_ADDRESS: '0' })).toBe(
      'RELAY_INGRESS_MAX_PER_ADDRESS: expected a whole number 1…10000, got "0"',
    )
    expect(fail({ RELAY_INGRESS_CERT: '/x/cert.pem' })).toBe('RELAY_INGRESS_KEY: needed with RELAY_INGRESS_CERT')
    expect(fail({ RELAY_INGRESS_KEY: '/x/key.pem' })).toBe('RELAY_INGRESS_CERT: needed with RELAY_INGRESS_KEY')
    expect(fail({ RELAY_INGRESS_CERT: '/x/cert.pem', RELAY_INGRESS_KEY: '/x/key.pem' })).toBe(
      'RELAY_INGRESS_CERT: cannot read "/x/cert.pem" (ENOENT)',
    )
  })

  it('refuses TLS below 1.2 on Deno, whose TLS cannot speak it', () => {
    expect(fail({ RELAY_INGRESS_MIN_TLS: 'TLSv1' }, 'deno')).toBe(
      "RELAY_INGRESS_MIN_TLS: TLSv1 needs the relay on Node (Deno's TLS speaks only TLS 1.2 and 1.3)",
    )
    expect(loadIngressConfig({ RELAY_INGRESS_MIN_TLS: 'TLSv1.3' }, 'deno').minTls).toBe('TLSv1.3')
  })

  it("reads the operator's certificate and key, and checks that they belong together", () => {
    const ca = createCertificateAuthority('test CA', 30)
    const a = issueServerCertificate(ca)
    const b = issueServerCertificate(ca)
    const files = { '/c.pem': a.certPem, '/k.pem': a.keyPem, '/other.pem': b.keyPem, '/junk': 'hello' }
    const read = (p: string) => files[p as keyof typeof files]
    const c = loadIngressConfig({ RELAY_INGRESS_CERT: '/c.pem', RELAY_INGRESS_KEY: '/k.pem' }, 'node', read)
    expect(c.certificate).toEqual({ certPem: a.certPem, keyPem: a.keyPem })
    const env = (cert: string, key: string) => ({ RELAY_INGRESS_CERT: cert, RELAY_INGRESS_KEY: key })
    expect(fail(env('/c.pem', '/other.pem'), 'node', files)).toBe('RELAY_INGRESS_KEY: "/other.pem" is not the key of "/c.pem"')
    expect(fail(env('/junk', '/k.pem'), 'node', files)).toBe('RELAY_INGRESS_CERT: "/junk" holds no PEM certificate')
    expect(fail(env('/c.pem', '/junk'), 'node', files)).toBe('RELAY_INGRESS_KEY: "/junk" holds no unencrypted PEM private key')
  })
})

describe('ingressWarnings', () => {
  it('warns, in Japanese and English, about old TLS, clear-text passwords and TLS-less listeners off loopback', () => {
    const c = loadIngressConfig({
      RELAY_INGRESS: '0.0.0.0:2525/none,127.0.0.1:2526/none',
      RELAY_INGRESS_MIN_TLS: 'TLSv1.1',
      RELAY_INGRESS_PLAINTEXT_AUTH: '1',
    })
    const w = ingressWarnings(c)
    expect(w).toHaveLength(3)
    expect(w[0]).toMatch(/^RELAY_INGRESS_MIN_TLS=TLSv1\.1: 古い TLS .* \/ accepting old TLS/)
    expect(w[1]).toMatch(/^RELAY_INGRESS_PLAINTEXT_AUTH=1: .* \/ accepting AUTH without TLS/)
    expect(w[2]).toMatch(/^RELAY_INGRESS 0\.0\.0\.0:2525\/none: /)
    expect(ingressWarnings(loadIngressConfig({ RELAY_INGRESS: '0.0.0.0:2525' }))).toEqual([])
    expect(ingressWarnings(loadIngressConfig({ RELAY_INGRESS_PLAINTEXT_AUTH: '1' }))).toEqual([])
  })
})
