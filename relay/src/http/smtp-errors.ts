/**
 * The engine's `SmtpError` in the contract's words, decided here and nowhere else: the contract
 * code for the engine's SMTP facts (stage, kind, reply) or the one the Microsoft 365 table
 * prefers for that reply, an English message and hint, the server's reply as `smtp`, and the
 * redacted transcript. The engine itself knows nothing of HTTP.
 *
 * @module
 */
import type {
  ErrorCode,
  SendAuth as ContractSendAuth,
  Security as ContractSecurity,
  Timings as ContractTimings,
  TranscriptLine as ContractTranscriptLine,
} from '../../../src/lib/contract/api.ts'
import { explainSmtpReply } from '../../../src/lib/contract/m365.ts'
import { SmtpError } from '../smtp/index.ts'
import type {
  SendAuth,
  Security,
  SmtpErrorInfo,
  Timings,
  TranscriptLine,
} from '../smtp/types.ts'
import { ApiError } from './errors.ts'

/**
 * The contract's request values go to the engine as they are, and the engine's timings and
 * transcript come back into answers as they are: the two sides' types must agree (checked by
 * tsc, here, where both are known).
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const agree: [
  Same<ContractSendAuth, SendAuth>,
  Same<ContractSecurity, Security>,
  Same<ContractTimings, Timings>,
  Same<ContractTranscriptLine, TranscriptLine>,
] = [true, true, true, true]
void agree

/** The contract's code for the engine's failure. */
export function apiCodeFor(err: Pick<SmtpErrorInfo, 'stage' | 'kind' | 'reply'>): ErrorCode {
  const { stage, kind, reply } = err
  switch (kind) {
    case 'timeout':
    case 'aborted':
      return 'TIMEOUT'
    case 'protocol':
      // Data injected after the STARTTLS 220: TLS could not be set up safely. Otherwise the
      // server's replies broke the grammar or its limits: the peer's fault, not the relay's.
      return stage === 'starttls' ? 'TLS_FAILED' : 'PROTOCOL_ERROR'
    case 'local':
      return 'INTERNAL'
    case 'tls':
      return 'TLS_FAILED'
    case 'socket':
      return stage === 'tls' ? 'TLS_FAILED' : 'CONNECTION_FAILED'
    case 'unavailable':
      if (stage === 'starttls') return 'STARTTLS_UNAVAILABLE'
      if (stage === 'auth') return 'AUTH_MECHANISM_UNAVAILABLE'
      return 'MESSAGE_REJECTED'
    case 'reply':
      // RFC 5321 §3.8: 421 at any point is the server closing the transmission channel for a
      // temporary reason, not a refusal of what was sent (a sender, a recipient, a login).
      if (reply?.code === 421) return 'CONNECTION_FAILED'
      switch (stage) {
        case 'connect':
        case 'greeting':
        case 'ehlo':
          return 'CONNECTION_FAILED'
        case 'tls':
          return 'TLS_FAILED'
        case 'starttls':
          return 'STARTTLS_UNAVAILABLE'
        case 'auth':
          // RFC 4954 §6: 504 = mechanism not supported; everything else is a refusal.
          return reply?.code === 504 ? 'AUTH_MECHANISM_UNAVAILABLE' : 'AUTH_FAILED'
        case 'mail':
          return 'SENDER_REJECTED'
        case 'rcpt':
          return 'RECIPIENT_REJECTED'
        case 'data':
          return 'MESSAGE_REJECTED'
        case 'quit':
          return 'INTERNAL'
      }
  }
}

const SMTP_AUTH_STEP =
  'Microsoft 365 admin center > Users > Active users > (the sender) > Mail > Manage email apps > Authenticated SMTP'

/** What to say when the Microsoft 365 table has nothing more specific. */
const GENERIC: Partial<Record<ErrorCode, { message: string; hint: string }>> = {
  CONNECTION_FAILED: {
    message: 'Could not connect to the SMTP server.',
    hint:
      'Check the SMTP server and port (Microsoft 365: smtp.office365.com, 587) and that this relay can reach it.',
  },
  TLS_FAILED: {
    message: 'The TLS handshake with the SMTP server failed.',
    hint:
      'Check SSL: port 587 uses StartTLS and 465 SSL/TLS. The certificate must be valid for the server name (a private CA can be added with RELAY_CA_FILE).',
  },
  STARTTLS_UNAVAILABLE: {
    message: 'The SMTP server did not offer STARTTLS.',
    hint:
      'Choose StartTLS on a port that offers it (587) or SSL/TLS on 465; the relay never falls back to plain text.',
  },
  AUTH_MECHANISM_UNAVAILABLE: {
    message: 'The SMTP server does not offer the chosen authentication mechanism.',
    hint:
      `Microsoft 365 offers XOAUTH2 after StartTLS on port 587; if it offers no AUTH at all, check ${SMTP_AUTH_STEP}.`,
  },
  AUTH_FAILED: {
    message: 'The SMTP server refused the login.',
    hint: `Sign in again, use the signed-in mailbox as the user, and check ${SMTP_AUTH_STEP}.`,
  },
  SENDER_REJECTED: {
    message: 'The SMTP server refused the From address.',
    hint:
      'Use the signed-in mailbox as the From address, or give the user Send As permission on it.',
  },
  RECIPIENT_REJECTED: {
    message: 'The SMTP server refused every recipient.',
    hint: 'Check the To, Cc and Bcc addresses.',
  },
  MESSAGE_REJECTED: {
    message: 'The SMTP server refused the message.',
    hint: "Read the server's reply below; size limits and content rules are common causes.",
  },
  TIMEOUT: {
    message: 'The SMTP server did not answer in time.',
    hint: 'Check the server and port; a firewall may be dropping the connection.',
  },
  PROTOCOL_ERROR: {
    message: "The SMTP server's reply broke the SMTP grammar or its limits.",
    hint:
      'The server on this host and port does not speak SMTP as expected (another service or a proxy on the port?). Check the SMTP server and port (Microsoft 365: smtp.office365.com, 587); the transcript shows what it sent.',
  },
}

/** Where in the dialogue, for a message: "at MAIL FROM", "at the end of the message". */
function where(err: SmtpErrorInfo): string {
  switch (err.stage) {
    case 'connect':
      return 'while connecting'
    case 'tls':
      return 'during the TLS handshake'
    case 'greeting':
      return 'at the greeting'
    case 'ehlo':
      return 'at EHLO'
    case 'starttls':
      return 'at STARTTLS'
    case 'auth':
      return 'at AUTH'
    case 'mail':
      return 'at MAIL FROM'
    case 'rcpt':
      return 'at RCPT TO'
    case 'data':
      return err.command === 'DATA' ? 'at DATA' : 'at the end of the message'
    case 'quit':
      return 'at QUIT'
  }
}

/**
 * A connection that opened but never greeted: most often StartTLS chosen for a port that waits
 * for a TLS handshake first (465), or a firewall swallowing the traffic.
 */
const SILENT_GREETING = {
  message: 'The SMTP server did not send its greeting in time.',
  hint:
    'Check SSL: port 465 expects SSL/TLS from the first byte, port 587 StartTLS (Microsoft 365: smtp.office365.com, 587, StartTLS). Otherwise a firewall may be dropping the connection.',
}

/** An error thrown by the engine. */
export function isSmtpError(err: unknown): err is SmtpError {
  return err instanceof SmtpError
}

const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3}\s*/

/**
 * What an XOAUTH2/OAUTHBEARER error challenge said (RFC 7628 §3.2.2: status, scope), e.g.
 * ` The server answered status 401 for scope https://outlook.office.com/SMTP.Send.`
 */
function challenge(err: SmtpErrorInfo): string {
  const c = err.saslChallenge
  if (typeof c !== 'object' || c === null) return ''
  const { status, scope } = c as { status?: unknown; scope?: unknown }
  const short = (
    v: unknown,
  ) => (typeof v === 'string' && v.length <= 200 && !/[\r\n]/.test(v) ? v : undefined)
  const st = short(status)
  const sc = short(scope)
  if (!st && !sc) return ''
  return ` The server answered${st ? ` status ${st}` : ''}${sc ? ` for scope ${sc}` : ''}.`
}

export function smtpErrorToApi(err: SmtpError): ApiError {
  const reply = err.reply
  const smtp = reply && {
    code: reply.code,
    ...(reply.enhanced !== undefined && { enhanced: reply.enhanced }),
    text: reply.lines.join(' ').replace(ENHANCED_PREFIX, ''),
  }
  const explained = reply && explainSmtpReply(reply)
  const code: ErrorCode = explained?.apiCode ?? apiCodeFor(err)
  const generic = (code === 'TIMEOUT' && err.stage === 'greeting' ? SILENT_GREETING : undefined) ??
    GENERIC[code] ?? { message: 'The send failed.', hint: 'See the transcript.' }
  // Without a reply, the engine's message carries the socket or TLS detail (ECONNREFUSED,
  // certificate names, a bad reply line shown as printable text only); it never holds
  // credentials.
  const detail = !reply && err.message ? ` (${err.message})` : ''
  const at = reply?.code === 421
    ? ` The server closed the connection ${where(err)}.`
    : code === 'PROTOCOL_ERROR'
    ? ` The bad reply came ${where(err)}.`
    : ''
  const maybe = err.maybeAccepted
    ? ' The whole message had been sent, so the server may have accepted it: check whether it arrived before sending it again.'
    : ''
  const message = (explained?.summary ?? generic.message) + detail + challenge(err) + at + maybe
  return new ApiError(code, message, {
    hint: explained?.hint ?? generic.hint,
    stage: err.stage,
    ...(err.maybeAccepted && { maybeDelivered: true }),
    ...(smtp && { smtp }),
    // shared/API.md: `transcript` is present once a connection was opened; the engine's first
    // line records the connection, so an empty one means none was.
    ...(err.transcript.length > 0 && { transcript: err.transcript }),
  })
}
