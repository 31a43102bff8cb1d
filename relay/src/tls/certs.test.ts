import { once } from 'node:events'
import { createServer, connect } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createCertificateAuthority, issueServerCertificate } from './certs.ts'

async function handshake(opts: { ca?: string; servername: string; certPem: string; keyPem: string }) {
  const server = createServer({ cert: opts.certPem, key: opts.keyPem }, (s) => s.end())
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  try {
    const socket = connect({ host: '127.0.0.1', port, servername: opts.servername, ca: opts.ca })
    return await new Promise<string>((resolve) => {
      socket.once('secureConnect', () => { resolve('ok'); socket.destroy() })
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
    })
  } finally {
    server.close()
  }
}

describe('run-time certificates', () => {
  const ca = createCertificateAuthority()
  const leaf = issueServerCertificate(ca)

  it('are trusted through the generated CA, for the right name only', async () => {
    expect(await handshake({ ...leaf, ca: ca.certPem, servername: 'localhost' })).toBe('ok')
    expect(await handshake({ ...leaf, ca: ca.certPem, servername: 'evil.example' })).toBe('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it('are refused without the CA', async () => {
    expect(await handshake({ ...leaf, servername: 'localhost' })).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
  })
})
