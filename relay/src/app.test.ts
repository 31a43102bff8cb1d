import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorBody, Health, RelayConfig } from '../../src/lib/contract/api.ts'
import { postJson, testApp } from './testing.ts'

describe('GET /api/health', () => {
  it('answers per the contract', async () => {
    const { app, logs } = testApp()
    const res = await app.request('/api/health')
    expect(res.status).toBe(200)
    expect(Health.parse(await res.json())).toEqual({
      ok: true,
      version: '0.0.0-test',
      runtime: 'node',
    })
    expect(logs).toEqual([
      expect.objectContaining({ method: 'GET', path: '/api/health', status: 200 }),
    ])
  })
})

describe('GET /api/config', () => {
  it('shows allow-lists and limits, no sandbox', async () => {
    const { app } = testApp({
      RELAY_TOKEN_HOSTS: 'login.example.com,localhost:8788',
      RELAY_RATE_LIMIT: '7',
    })
    const body = RelayConfig.parse(await (await app.request('/api/config')).json())
    expect(body.smtpHosts).toEqual(['smtp.office365.com:587', 'smtp.office365.com:465'])
    expect(body.tokenHosts).toEqual(['login.example.com', 'localhost:8788'])
    expect(body.limits).toEqual({
      maxMessageBytes: 26214400,
      maxRecipients: 100,
      rateLimitPerMinute: 7,
    })
    expect(body.sandbox).toBeNull()
  })
})

describe('GET /api/openapi.json', () => {
  it('describes the routes with the contract schemas', async () => {
    const { app } = testApp()
    const doc = (await (await app.request('/api/openapi.json')).json()) as {
      openapi: string
      paths: Record<string, unknown>
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> }
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual([
      '/api/send',
      '/api/token',
      '/api/health',
      '/api/config',
    ])
    expect(Object.keys(doc.components.schemas.SendRequest?.properties ?? {})).toEqual([
      'smtp',
      'auth',
      'message',
    ])
    expect(JSON.stringify(doc)).toContain('TOKEN_ENDPOINT_ERROR')
  })
})

describe('origins and headers', () => {
  it('refuses a foreign Origin with ORIGIN_NOT_ALLOWED before the handler runs', async () => {
    const { app, logs } = testApp()
    const res = await postJson(app, '/api/send', {}, { Origin: 'https://evil.example' })
    expect(res.status).toBe(403)
    expect(ErrorBody.parse(await res.json()).error.code).toBe('ORIGIN_NOT_ALLOWED')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull()
    expect(logs.at(-1)).toMatchObject({ status: 403, code: 'ORIGIN_NOT_ALLOWED' })
  })

  it('refuses a foreign preflight', async () => {
    const { app } = testApp()
    const res = await app.request('/api/send', {
      method: 'OPTIONS',
      headers: { Origin: 'null', 'Access-Control-Request-Method': 'POST' },
    })
    expect(res.status).toBe(403)
  })

  it('allows the configured origin, preflight included', async () => {
    const { app } = testApp({ RELAY_ORIGINS: 'https://mail.example.com' })
    const pre = await app.request('/api/send', {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://mail.example.com',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('Access-Control-Allow-Origin')).toBe('https://mail.example.com')
    const res = await app.request('/api/health', {
      headers: { Origin: 'https://mail.example.com' },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://mail.example.com')
    // The answer depends on Origin: a cache must keep it apart (with or without Origin).
    expect(res.headers.get('Vary')).toBe('Origin')
    const bare = await app.request('/api/health')
    expect(bare.headers.get('Access-Control-Allow-Origin')).toBeNull()
    expect(bare.headers.get('Vary')).toBe('Origin')
    expect(await bare.json()).toMatchObject({ ok: true })
  })

  it('lets a configured origin read RATE_LIMITED and its Retry-After', async () => {
    const { app } = testApp({ RELAY_ORIGINS: 'https://mail.example.com', RELAY_RATE_LIMIT: '1' })
    const headers = { Origin: 'https://mail.example.com' }
    await postJson(app, '/api/send', {}, headers)
    const res = await postJson(app, '/api/send', {}, headers)
    expect(res.status).toBe(429)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://mail.example.com')
    expect(res.headers.get('Retry-After')).toMatch(/^\d+$/)
    // Retry-After is not a CORS-safelisted response header: it must be exposed.
    expect(res.headers.get('Access-Control-Expose-Headers')?.split(/,\s*/)).toContain('Retry-After')
  })

  it('allows its own origin by default and requests without Origin', async () => {
    const { app } = testApp({ PORT: '8787' })
    for (const origin of ['http://localhost:8787', 'http://127.0.0.1:8787', undefined]) {
      const res = await app.request('/api/health', { headers: origin ? { Origin: origin } : {} })
      expect(res.status).toBe(200)
    }
    const other = await app.request('/api/health', { headers: { Origin: 'http://localhost:8788' } })
    expect(other.status).toBe(403)
  })

  it('sends secure headers without script-src and without COOP', async () => {
    const { app } = testApp()
    const res = await app.request('/api/health')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(res.headers.get('X-Frame-Options')).toBe('DENY')
    const csp = res.headers.get('Content-Security-Policy') ?? ''
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("base-uri 'self'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toContain('script-src')
    expect(res.headers.get('Cross-Origin-Opener-Policy')).toBeNull()
    expect(res.headers.get('Referrer-Policy')).toBe('same-origin')
  })

  it.each(['/api/nope', '/api', '/api/', '/api/send/x', '/api/health/', '/api/%zz', '/api/a%00b'])(
    'answers the unknown API path %s NOT_FOUND (404) in the contract shape',
    async (path) => {
      const { app, logs } = testApp()
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'HEAD']) {
        const res = await app.request(path, { method })
        expect(res.status, `${method} ${path}`).toBe(404)
        if (method === 'HEAD') continue
        expect(res.headers.get('Content-Type')).toMatch(/^application\/json/)
        expect(ErrorBody.parse(await res.json()).error.code).toBe('NOT_FOUND')
      }
      expect(logs.map((l) => l.code)).toEqual(Array(5).fill('NOT_FOUND'))
    },
  )

  it('answers a known API route with another method INVALID_REQUEST', async () => {
    const { app } = testApp()
    const res = await app.request('/api/send')
    expect(res.status).toBe(400)
    const body = ErrorBody.parse(await res.json())
    expect(body.error).toMatchObject({ code: 'INVALID_REQUEST' })
    expect(body.error.message).toContain('GET')
  })

  it('keeps plain 404s outside /api/ when no page is built', async () => {
    const { app } = testApp()
    for (const path of ['/apix', '/API/x', '/x/api/y']) {
      const res = await app.request(path)
      expect(res.status).toBe(404)
      expect(await res.text()).toBe('Not found')
    }
  })
})

describe('the built page', () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mailkey-static-'))
    await mkdir(join(root, '_app/immutable/entry'), { recursive: true })
    await writeFile(join(root, 'index.html'), '<!doctype html><title>shell</title>')
    await writeFile(join(root, 'redirect-bridge.html'), '<!doctype html><title>bridge</title>')
    await writeFile(join(root, '_app/immutable/entry/app.abc123.js'), 'export {}')
    await writeFile(join(root, 'favicon.svg'), '<svg/>')
    await writeFile(join(root, '..', 'mailkey-secret.txt'), 'outside').catch(() => {})
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
    await rm(join(root, '..', 'mailkey-secret.txt'), { force: true })
  })

  it('serves the shell, the bridge and hashed assets with the right caching', async () => {
    const { app } = testApp({}, { staticRoot: root })
    const shell = await app.request('/')
    expect(await shell.text()).toContain('shell')
    expect(shell.headers.get('Cache-Control')).toBe('no-store')
    expect(shell.headers.get('Content-Type')).toBe('text/html; charset=utf-8')
    const bridge = await app.request('/redirect-bridge.html')
    expect(await bridge.text()).toContain('bridge')
    expect(bridge.headers.get('Cache-Control')).toBe('no-store')
    const asset = await app.request('/_app/immutable/entry/app.abc123.js')
    expect(asset.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable')
    expect(asset.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
    expect((await app.request('/favicon.svg')).headers.get('Content-Type')).toBe('image/svg+xml')
  })

  it('falls back to the shell for client routes, 404 for missing files', async () => {
    const { app } = testApp({}, { staticRoot: root })
    const route = await app.request('/guide/setup')
    expect(route.status).toBe(200)
    expect(await route.text()).toContain('shell')
    expect((await app.request('/_app/immutable/missing.js')).status).toBe(404)
  })

  it.each([
    '/../mailkey-secret.txt',
    '/%2e%2e/mailkey-secret.txt',
    '/%2e%2e%2fmailkey-secret.txt',
    '/..%5cmailkey-secret.txt',
    '/%00index.html',
    '/%E0%A4%A',
  ])('never serves outside the root: %s', async (path) => {
    const { app } = testApp({}, { staticRoot: root })
    const res = await app.request(`http://localhost${path}`)
    expect(await res.text()).not.toContain('outside')
  })
})
