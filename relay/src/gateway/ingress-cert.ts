/**
 * The ingress's TLS certificate: the operator's (RELAY_INGRESS_CERT/_KEY), or one generated at
 * first start into `<RELAY_DATA_DIR>/ingress/` (an ignored folder, never committed) and renewed
 * when it nears its end. Devices rarely check certificates; the fingerprint lets an admin compare
 * what a device shows (GET /api/admin/ingress, the gateway page).
 *
 * The generated certificate is issued by a CA of its own (`ca.pem`, kept beside it) for the
 * machine's name, `localhost` and the loopback addresses, so a device that does verify can be
 * given the CA once and keep trusting renewals.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { createCertificateAuthority, issueServerCertificate } from '../tls/certs.ts'

export interface IngressCertificate {
  certPem: string
  keyPem: string
  /** SHA-256 of the DER certificate, upper-case hex with colons (as devices and browsers show it). */
  sha256: string
  /** Where a generated certificate and its CA live; absent for the operator's own. */
  dir?: string
}

/** Renew a generated certificate with fewer days left than this. */
const RENEW_DAYS = 30

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The certificate's SHA-256 fingerprint, `AB:CD:…`. */
export const fingerprint = (certPem: string): string => new X509Certificate(certPem).fingerprint256

function usable(certPem: string, caPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem)
    const ca = new X509Certificate(caPem)
    return cert.checkIssued(ca) && Date.parse(cert.validTo) - Date.now() > RENEW_DAYS * 86_400_000
  } catch {
    return false
  }
}

/**
 * The operator's certificate when given, else the generated one in `<dataDir>/ingress/`
 * (created, or renewed, as needed). `extraIps` adds the listeners' specific addresses.
 */
export async function loadIngressCertificate(opts: {
  dataDir: string
  own?: { certPem: string; keyPem: string }
  extraIps?: string[]
}): Promise<IngressCertificate> {
  if (opts.own) return { ...opts.own, sha256: fingerprint(opts.own.certPem) }
  const dir = join(opts.dataDir, 'ingress')
  await mkdir(dir, { recursive: true })
  const paths = {
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    cert: join(dir, 'cert.pem'),
    key: join(dir, 'key.pem'),
  }
  const [caPem, caKeyPem, certPem, keyPem] = await Promise.all(Object.values(paths).map(readOptional))
  let ca = caPem && caKeyPem ? { certPem: caPem, keyPem: caKeyPem } : undefined
  if (!ca) {
    ca = createCertificateAuthority('mailkey ingress CA')
    await writeFile(paths.caKey, ca.keyPem, { mode: 0o600 })
    await writeFile(paths.ca, ca.certPem)
  }
  if (certPem && keyPem && usable(certPem, ca.certPem)) {
    return { certPem, keyPem, sha256: fingerprint(certPem), dir }
  }
  const ips = new Set(['127.0.0.1', '::1', ...(opts.extraIps ?? [])])
  ips.delete('0.0.0.0')
  ips.delete('::')
  const dns = [...new Set([hostname().toLowerCase(), 'localhost'])].filter((n) => /^[a-z0-9.-]+$/.test(n))
  const issued = issueServerCertificate(ca, { dns, ip: [...ips] })
  await writeFile(paths.key, issued.keyPem, { mode: 0o600 })
  await writeFile(paths.cert, issued.certPem)
  return { certPem: issued.certPem, keyPem: issued.keyPem, sha256: fingerprint(issued.certPem), dir }
}
