import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, parseHostEntry } from './config.ts'

const fail = (env: Record<string, string>) => {
  try {
    loadConfig(env, () => 'no pem here')
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).message
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('has the defaults of API.md', () => {
    const c = loadConfig({})
    expect(c.port).toBe(8787)
    expect(c.host).toBe('127.0.0.1')
    expect(c.smtpHosts).toEqual([
      { host: 'smtp.office365.com', port: 587, publicOnly: true },
      { host: 'smtp.office365.com', port: 465, publicOnly: true },
    ])
    expect(c.tokenHosts).toEqual([{
      host: 'login.microsoftonline.com',
      port: 443,
      publicOnly: true,
    }])
    expect(c.plaintextHosts).toEqual([])
    expect(c.origins).toContain('http://127.0.0.1:8787')
    expect(c.origins).toContain('http://localhost:8787')
    expect(c.sandbox).toBe(false)
    expect(c.maxMessageBytes).toBe(26214400)
    expect(c.rateLimitPerMinute).toBe(30)
    expect(c.dataDir).toBe('./data')
    expect(c.staticDir).toBe('./build')
  })

  it('reads every variable', () => {
    const c = loadConfig(
      {
        PORT: '9000',
        HOST: '0.0.0.0',
        RELAY_SMTP_HOSTS: 'Mail.Example.com:587, [::1]:2525',
        RELAY_PLAINTEXT_HOSTS: 'localhost:25',
        RELAY_TOKEN_HOSTS: 'login.example.com,localhost:8788',
        RELAY_CA_FILE: '/ca.pem',
        RELAY_ORIGINS: 'https://mail.example.com,http://localhost:5173/',
        RELAY_SANDBOX: '1',
        RELAY_MAX_MESSAGE_BYTES: '1048576',
        RELAY_RATE_LIMIT: '5',
        RELAY_DATA_DIR: '/var/lib/mailkey',
        RELAY_STATIC_DIR: '/srv/page',
      },
      () => '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n',
    )
    expect(c.smtpHosts).toEqual([
      { host: 'mail.example.com', port: 587, publicOnly: false },
      { host: '::1', port: 2525, publicOnly: false },
    ])
    expect(c.plaintextHosts).toEqual([{ host: 'localhost', port: 25, publicOnly: false }])
    expect(c.tokenHosts.map((e) => [e.host, e.port])).toEqual([
      ['login.example.com', 443],
      ['localhost', 8788],
    ])
    expect(c.ca).toHaveLength(1)
    expect(c.origins).toEqual(['https://mail.example.com', 'http://localhost:5173'])
    expect(c).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      sandbox: true,
      maxMessageBytes: 1048576,
    })
    expect(c).toMatchObject({
      rateLimitPerMinute: 5,
      smtpIdleMs: 30_000,
      shutdownGraceMs: 20_000,
      dataDir: '/var/lib/mailkey',
      staticDir: '/srv/page',
    })
  })

  it.each([
    [{ PORT: 'eighty' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [
      { RELAY_SMTP_HOSTS: 'smtp.office365.com' },
      /^RELAY_SMTP_HOSTS: "smtp.office365.com" is not host:port$/,
    ],
    [{ RELAY_SMTP_HOSTS: 'a b:25' }, /^RELAY_SMTP_HOSTS: /],
    [{ RELAY_PLAINTEXT_HOSTS: 'x:0' }, /^RELAY_PLAINTEXT_HOSTS: /],
    [{ RELAY_TOKEN_HOSTS: 'https://login.microsoftonline.com' }, /^RELAY_TOKEN_HOSTS: /],
    [{ RELAY_ORIGINS: '*' }, /^RELAY_ORIGINS: /],
    [{ RELAY_ORIGINS: 'https://x.example/path' }, /^RELAY_ORIGINS: /],
    [{ RELAY_SANDBOX: 'yes' }, /^RELAY_SANDBOX: /],
    [{ RELAY_MAX_MESSAGE_BYTES: '-1' }, /^RELAY_MAX_MESSAGE_BYTES: /],
    [{ RELAY_MAX_MESSAGE_BYTES: '999999999999' }, /^RELAY_MAX_MESSAGE_BYTES: /],
    [{ RELAY_RATE_LIMIT: '0' }, /^RELAY_RATE_LIMIT: /],
    // API.md promises idle connections are closed after 30 s at the latest.
    [{ RELAY_SMTP_IDLE_MS: '30001' }, /^RELAY_SMTP_IDLE_MS: expected a whole number 0…30000/],
    [{ RELAY_SHUTDOWN_GRACE_MS: '1s' }, /^RELAY_SHUTDOWN_GRACE_MS: expected a whole number 0…600000/],
    [
      { RELAY_SANDBOX_TOKEN_TTL: '9' },
      /^RELAY_SANDBOX_TOKEN_TTL: expected a whole number 10…86400, got "9"$/,
    ],
    [{ RELAY_SANDBOX_TOKEN_TTL: '86401' }, /^RELAY_SANDBOX_TOKEN_TTL: /],
    [{ RELAY_SANDBOX_TOKEN_TTL: '1h' }, /^RELAY_SANDBOX_TOKEN_TTL: /],
    [{ RELAY_CA_FILE: '/ca.pem' }, /^RELAY_CA_FILE: "\/ca.pem" holds no PEM certificate$/],
  ])('refuses %o with one line naming the variable', (env, message) => {
    const line = fail(env)
    expect(line).toMatch(message)
    expect(line).not.toContain('\n')
  })

  it('names an unreadable CA file', () => {
    expect(() => loadConfig({ RELAY_CA_FILE: '/nonexistent/ca.pem' })).toThrow(
      /^RELAY_CA_FILE: cannot read "\/nonexistent\/ca.pem" \(ENOENT\)$/,
    )
  })

  it('parses host entries', () => {
    expect(parseHostEntry('[2001:db8::1]:587', false)).toEqual({
      host: '2001:db8::1',
      port: 587,
      publicOnly: false,
    })
    expect(parseHostEntry('host', false)).toBeUndefined()
    expect(parseHostEntry('host', false, 443)).toEqual({
      host: 'host',
      port: 443,
      publicOnly: false,
    })
    expect(parseHostEntry('host:99999', false)).toBeUndefined()
  })
})

describe('RELAY_TRUST_PROXY', () => {
  it('is off by default and read as 1/0', () => {
    expect(loadConfig({}).trustProxy).toBe(false)
    expect(loadConfig({ RELAY_TRUST_PROXY: '1' }).trustProxy).toBe(true)
    expect(() => loadConfig({ RELAY_TRUST_PROXY: 'maybe' })).toThrow(/^RELAY_TRUST_PROXY: /)
  })
})

describe('RELAY_SANDBOX_TOKEN_TTL', () => {
  it('is 3600 s by default and accepts short lifetimes for tests', () => {
    expect(loadConfig({}).sandboxTokenTtl).toBe(3600)
    expect(loadConfig({ RELAY_SANDBOX_TOKEN_TTL: '' }).sandboxTokenTtl).toBe(3600)
    expect(loadConfig({ RELAY_SANDBOX_TOKEN_TTL: '20' }).sandboxTokenTtl).toBe(20)
    expect(loadConfig({ RELAY_SANDBOX_TOKEN_TTL: '86400' }).sandboxTokenTtl).toBe(86400)
  })
})
