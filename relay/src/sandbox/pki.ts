/**
 * The sandbox's key material, made at first start and kept in `<dataDir>/sandbox/` (an ignored
 * folder) so that a browser which trusted the CA once keeps trusting it and tokens signed before
 * a restart still verify: a CA, a server certificate for `localhost` and `127.0.0.1` signed by
 * it, and the IdP's RS256 signing key as a private JWK.
 *
 * @module
 */
import { generateKeyPairSync, randomUUID, X509Certificate } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  createCertificateAuthority,
  issueServerCertificate,
  type CertificateAuthority,
} from '../tls/certs.ts'

export interface SandboxPki {
  caPem: string
  certPem: string
  keyPem: string
  /** The IdP's signing key as a private JWK (with `kid`, `alg`, `use`). */
  signingJwk: Record<string, unknown>
  /** Where the CA certificate is stored, for the trust instructions. */
  caPath: string
}

/** Renew the server certificate when it has fewer than this many days left. */
const RENEW_DAYS = 30

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

function stillValid(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem)
    const ca = new X509Certificate(caPem)
    const remaining = Date.parse(cert.validTo) - Date.now()
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && remaining > RENEW_DAYS * 86_400_000
  } catch {
    return false
  }
}

/** Loads the sandbox's keys from `dir`, creating whatever is missing or stale. */
export async function loadOrCreatePki(dir: string): Promise<SandboxPki> {
  await mkdir(dir, { recursive: true })
  const paths = {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server-key.pem'),
    jwk: join(dir, 'signing-key.json'),
  }
  const [caPem, caKeyPem, certPem, keyPem, jwkText] = await Promise.all(
    Object.values(paths).map(readOptional)
  )

  let ca: CertificateAuthority
  if (caPem && caKeyPem) {
    ca = { certPem: caPem, keyPem: caKeyPem }
  } else {
    ca = createCertificateAuthority('mailkey sandbox CA (localhost)')
    await writeFile(paths.caKey, ca.keyPem, { mode: 0o600 })
    await writeFile(paths.ca, ca.certPem)
  }

  let server = certPem && keyPem && stillValid(certPem, ca.certPem) ? { certPem, keyPem } : undefined
  if (!server) {
    const issued = issueServerCertificate(ca, { dns: ['localhost'], ip: ['127.0.0.1'] })
    server = { certPem: issued.certPem, keyPem: issued.keyPem }
    await writeFile(paths.key, server.keyPem, { mode: 0o600 })
    await writeFile(paths.cert, server.certPem)
  }

  let signingJwk: Record<string, unknown> | undefined
  try {
    signingJwk = jwkText ? (JSON.parse(jwkText) as Record<string, unknown>) : undefined
  } catch {
    signingJwk = undefined
  }
  if (!signingJwk || signingJwk.kty !== 'RSA' || typeof signingJwk.d !== 'string') {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' }
    await writeFile(paths.jwk, JSON.stringify(signingJwk), { mode: 0o600 })
  }

  return { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem, signingJwk, caPath: paths.ca }
}
