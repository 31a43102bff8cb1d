/**
 * A local certificate authority and server certificates made at run time, for the sandbox
 * tenant and for tests. Nothing here is ever committed: keys live in memory or in the ignored
 * data folder.
 *
 * Keys come from `node:crypto` (fast, native); node-forge only assembles and signs the X.509
 * structures, which Node cannot do by itself.
 *
 * @module
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import forge from 'node-forge'

export interface CertificateAuthority {
  certPem: string
  keyPem: string
}

export interface ServerCertificate {
  certPem: string
  keyPem: string
  /** The issuing CA's certificate, to trust on the client side. */
  caPem: string
}

const DAY_MS = 24 * 60 * 60 * 1000

function newKeyPair(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey
  const publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e)
  return { publicKey, privateKey: forgeKey, keyPem }
}

function serialNumber(): string {
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; a leading 0x01 keeps it positive.
  return '01' + randomBytes(15).toString('hex')
}

/** Creates a CA certificate valid for `days` (default ten years). */
export function createCertificateAuthority(commonName = 'mailkey sandbox CA', days = 3650): CertificateAuthority {
  const { publicKey, privateKey, keyPem } = newKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = serialNumber()
  cert.validity.notBefore = new Date(Date.now() - DAY_MS)
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS)
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'mailkey (local, generated at run time)' },
  ]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  cert.sign(privateKey, forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem }
}

/**
 * Issues a server certificate for the given DNS names and IP addresses, signed by `ca`.
 * Valid for `days` (default 397, the longest browsers accept for a leaf).
 */
export function issueServerCertificate(
  ca: CertificateAuthority,
  names: { dns?: string[]; ip?: string[] } = { dns: ['localhost'], ip: ['127.0.0.1'] },
  days = 397
): ServerCertificate {
  const caCert = forge.pki.certificateFromPem(ca.certPem)
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem) as forge.pki.rsa.PrivateKey
  const { publicKey, keyPem } = newKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = publicKey
  cert.serialNumber = serialNumber()
  cert.validity.notBefore = new Date(Date.now() - DAY_MS)
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS)
  const dns = names.dns ?? []
  const ip = names.ip ?? []
  cert.setSubject([{ name: 'commonName', value: dns[0] ?? ip[0] ?? 'localhost' }])
  cert.setIssuer(caCert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...dns.map((value) => ({ type: 2, value })), ...ip.map((value) => ({ type: 7, ip: value }))],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ])
  cert.sign(caKey, forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem, caPem: ca.certPem }
}
