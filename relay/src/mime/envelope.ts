/**
 * The SMTP envelope of a message: addr-specs only, taken from the contract's mailbox texts.
 *
 * @module
 */
import { toASCII } from 'nodemailer/lib/punycode'
import { parseMailbox, type Mailbox } from '../../../src/lib/contract/api.ts'

const NON_ASCII = /[^\x00-\x7f]/u

/** Parses a contract mailbox text; the contract has validated it, so failure is a bug upstream. */
export function mailbox(text: string): Mailbox {
  const parsed = parseMailbox(text)
  if (!parsed) throw new TypeError(`Not a mailbox: ${JSON.stringify(text)}`)
  return { ...parsed, address: normalizeAddress(parsed.address) }
}

/**
 * An ASCII local part gets its domain as an A-label (RFC 5890), so the address needs no
 * SMTPUTF8; a UTF-8 local part needs SMTPUTF8 anyway (RFC 6531 §3.3), and the domain stays as
 * written, which RFC 6531 allows. This is also what the header encoder writes, so the envelope
 * and the headers agree.
 */
export function normalizeAddress(address: string): string {
  const at = address.lastIndexOf('@')
  const local = address.slice(0, at)
  const domain = address.slice(at + 1)
  if (NON_ASCII.test(local) || !NON_ASCII.test(domain)) return address
  // IDNA maps to lower case (RFC 5895 §2) before the A-label is made
  return `${local}@${toASCII(domain.toLowerCase())}`
}

/** The domain of an addr-spec in ASCII, for the Message-ID (RFC 5322 §3.6.4). */
export function asciiDomain(address: string): string {
  return toASCII(address.slice(address.lastIndexOf('@') + 1).toLowerCase())
}

/**
 * MAIL FROM and RCPT TO for a message. Recipients (to, cc, bcc in that order) appear once:
 * the domain compares case-insensitively (RFC 5321 §2.4), the local part exactly.
 */
export function buildEnvelope(
  from: Mailbox,
  recipients: Mailbox[]
): { from: string; to: string[] } {
  const seen = new Set<string>()
  const to: string[] = []
  for (const { address } of recipients) {
    const at = address.lastIndexOf('@')
    const key = address.slice(0, at) + '@' + address.slice(at + 1).toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    to.push(address)
  }
  return { from: from.address, to }
}

/** Whether any envelope address needs the SMTPUTF8 extension (RFC 6531). */
export function needsSmtpUtf8(envelope: { from: string; to: string[] }): boolean {
  return [envelope.from, ...envelope.to].some((a) => NON_ASCII.test(a))
}
