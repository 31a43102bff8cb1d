/**
 * The sandbox's SMTP submission server, shaped like Exchange Online's smtp.office365.com:587:
 * STARTTLS with the sandbox certificate, AUTH only after TLS, XOAUTH2 tokens checked against
 * the IdP's keys, and the replies Microsoft 365 gives (shared/M365-FACTS.md §2.3).
 *
 * OAUTHBEARER (RFC 7628) is not offered: smtp-server 3.21 does not implement it, and Exchange
 * Online does not offer it either (its EHLO lists `AUTH LOGIN XOAUTH2`).
 *
 * @module
 */
import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server'
import { simpleParser } from 'mailparser'
import type { Inbox } from './inbox.ts'
import { appMailbox } from './exchange.ts'
import { listenError } from './listen.ts'
import type { Switches } from './switches.ts'
import { findAccountByUpn } from './tenant.ts'
import type { TokenVerdict } from './verify.ts'

/** Exchange Online's limit for a submitted message (the default maximum send size, 35 MB). */
export const MAX_MESSAGE_BYTES = 35 * 1024 * 1024
/**
 * What its EHLO advertises (`SIZE 157286400`, M365-FACTS §2.2): the mailbox's smaller limit is
 * enforced after the data, with `552 5.3.4`.
 */
export const ADVERTISED_SIZE = 157_286_400

export const REPLIES = {
  authFailed: [535, '5.7.3 Authentication unsuccessful'],
  mailboxAuthDisabled: [
    535,
    '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled',
  ],
  tenantAuthDisabled: [
    535,
    '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled',
  ],
  basicAuthDisabled: [
    535,
    '5.7.139 Authentication unsuccessful, basic authentication is disabled.',
  ],
  notAuthenticated: [530, '5.7.57 Client not authenticated to send mail'],
  unrecognizedAuth: [504, '5.7.4 Unrecognized authentication type'],
  tooBig: [552, '5.3.4 Message size exceeds fixed maximum message size'],
  threadLimit: [432, '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded'],
  busy: [451, '4.7.500 Server busy. Please try again later.'],
  serviceNotActive: [421, '4.3.2 Service not active'],
} as const satisfies Record<string, readonly [number, string]>

function smtpError([code, text]: readonly [number, string]): Error {
  return Object.assign(new Error(text), { responseCode: code })
}

/** `554 5.2.252 SendAsDenied; …` as Exchange answers it at the end of DATA. */
export function sendAsDenied(user: string, from: string): Error {
  return smtpError([
    554,
    `5.2.252 SendAsDenied; ${user} not allowed to send as ${from}; STOREDRV.Submission.Exception:SendAsDeniedException`,
  ])
}

/** Whether `user` may send as `address` (its own address, or an explicit Send As). */
export function maySendAs(user: string, address: string): boolean {
  const account = findAccountByUpn(user)
  const wanted = address.trim().toLowerCase()
  if (!account) return false
  return account.upn.toLowerCase() === wanted ||
    account.sendAs.some((a) => a.toLowerCase() === wanted)
}

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /

/** smtp-server's own success texts, as Exchange Online words them, keyed by code and text. */
const EXCHANGE_TEXTS: Record<string, string> = {
  '250 Accepted MAIL_FROM_OK': '2.1.0 Sender OK',
  '250 Accepted RCPT_TO_OK': '2.1.5 Recipient OK',
  '354 End data with <CR><LF>.<CR><LF>': 'Start mail input; end with <CRLF>.<CRLF>',
  '220 Ready to start TLS': '2.0.0 SMTP server ready',
  '221 Bye': '2.0.0 Service closing transmission channel',
}

/**
 * Exchange Online accepts at most three concurrent submissions per mailbox and answers the
 * next one `432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded` (M365-FACTS §2.3).
 */
export const MAX_CONCURRENT_SUBMISSIONS = 3

export interface SandboxSmtpOptions {
  port: number
  certPem: string
  keyPem: string
  verifyToken: (token: string, user: string) => Promise<TokenVerdict>
  switches: () => Switches
  inbox: Inbox
}

export interface SandboxSmtp {
  port: number
  /**
   * Stops accepting connections (the listener is closed, so clients get ECONNREFUSED; open
   * sessions get `421 4.3.2 Service not active`) or listens again on the same port.
   */
  setDown(down: boolean): Promise<void>
  /** Authenticated sessions per mailbox: open now and the most ever open at once. */
  sessions(): SmtpSessionCounts
  close(): Promise<void>
}

/**
 * Authenticated sessions per mailbox (the AUTH user), counted from a successful AUTH to the
 * connection's close: what Exchange counts against the mailbox's concurrent connections.
 */
export interface SmtpSessionCounts {
  open: Record<string, number>
  peak: Record<string, number>
}

export async function startSmtp(opts: SandboxSmtpOptions): Promise<SandboxSmtp> {
  /** Submissions in flight per mailbox (the AUTH user). */
  const submitting = new Map<string, number>()
  /** Authenticated sessions per mailbox, open now and at most (for tests of the relay's limits). */
  const authenticated = new Map<string, number>()
  const peak = new Map<string, number>()
  /** Sessions already counted, so a second AUTH on one connection is not counted twice. */
  const counted = new Set<string>()
  const onAuth = (
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    done: (err: Error | null | undefined, response?: { user?: unknown }) => void,
  ) => {
    if (auth.method !== 'XOAUTH2') return done(smtpError(REPLIES.basicAuthDisabled))
    const user = auth.username ?? ''
    opts
      .verifyToken(auth.accessToken ?? '', user)
      .then((verdict) => {
        if (!verdict.ok) return done(smtpError(REPLIES.authFailed))
        const switches = opts.switches()
        // App-only: Exchange looks up the service principal and its mailbox permission first.
        const app = verdict.kind === 'app' ? appMailbox(verdict.appId, verdict.oid, user, switches) : undefined
        if (app && !app.ok) return done(smtpError(REPLIES.authFailed))
        if (switches.tenantSmtpAuthDisabled) {
          return done(smtpError(REPLIES.tenantAuthDisabled))
        }
        const account = app?.ok ? app.account : verdict.kind === 'delegated' ? findAccountByUpn(verdict.upn) : undefined
        if (!account?.smtpAuthEnabled) return done(smtpError(REPLIES.mailboxAuthDisabled))
        if (!counted.has(session.id)) {
          counted.add(session.id)
          const n = (authenticated.get(account.upn) ?? 0) + 1
          authenticated.set(account.upn, n)
          peak.set(account.upn, Math.max(n, peak.get(account.upn) ?? 0))
        }
        done(null, { user: account.upn })
      })
      .catch(() => done(smtpError(REPLIES.authFailed)))
  }

  const server = new SMTPServer({
    name: 'localhost',
    banner: 'Microsoft ESMTP MAIL Service ready (mailkey sandbox)',
    key: opts.keyPem,
    cert: opts.certPem,
    minVersion: 'TLSv1.2',
    secure: false,
    allowInsecureAuth: false,
    authOptional: true,
    // Exchange Online offers `AUTH LOGIN XOAUTH2`, and only after STARTTLS (M365-FACTS §2.2).
    authMethods: ['LOGIN', 'XOAUTH2'],
    size: ADVERTISED_SIZE,
    disableReverseLookup: true,
    hideDSN: true,
    // Exchange lists ENHANCEDSTATUSCODES and uses them in every reply (`235 2.7.0
    // Authentication successful`, `250 2.1.0 Sender OK`), and greets EHLO with `Hello [ip]`.
    hideENHANCEDSTATUSCODES: false,
    heloResponse: '%s Hello %s',
    logger: false,
    onAuth,
    onConnect(session, done) {
      session.disabledCommands = ['AUTH']
      done()
    },
    onClose(session) {
      if (!counted.delete(session.id)) return
      const user = String(session.user)
      const left = (authenticated.get(user) ?? 1) - 1
      if (left > 0) authenticated.set(user, left)
      else authenticated.delete(user)
    },
    onSecure(_socket, session, done) {
      session.disabledCommands = []
      done()
    },
    onMailFrom(_address, session, done) {
      // authOptional lets MAIL reach here, so the reply is Exchange's, not smtp-server's.
      if (!session.user) return done(smtpError(REPLIES.notAuthenticated))
      if (opts.switches().smtpBusy) return done(smtpError(REPLIES.busy))
      done()
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = []
      const user = String(session.user)
      // Counted from DATA to its reply: submissions in flight, not idle connections.
      const inFlight = (submitting.get(user) ?? 0) + 1
      submitting.set(user, inFlight)
      let released = false
      const release = () => {
        if (released) return
        released = true
        const left = (submitting.get(user) ?? 1) - 1
        if (left > 0) submitting.set(user, left)
        else submitting.delete(user)
      }
      const finish: typeof done = (err, message) => {
        release()
        done(err, message)
      }
      let ended = false
      // A client gone mid-message: smtp-server destroys the stream without an 'end'.
      stream.once('close', () => ended || release())
      stream.on('error', () => undefined)
      let size = 0
      stream.on('data', (c: Buffer) => {
        size += c.length
        if (size <= MAX_MESSAGE_BYTES) chunks.push(c)
      })
      stream.on('end', () => {
        ended = true
        if (stream.sizeExceeded || size > MAX_MESSAGE_BYTES) return finish(smtpError(REPLIES.tooBig))
        if (inFlight > MAX_CONCURRENT_SUBMISSIONS) return finish(smtpError(REPLIES.threadLimit))
        const raw = Buffer.concat(chunks)
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : ''
        simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true })
          .then(async (parsed) => {
            const headerFrom = parsed.from?.value[0]?.address ?? envelopeFrom
            for (const address of [envelopeFrom, headerFrom]) {
              if (address && !maySendAs(user, address)) return finish(sendAsDenied(user, address))
            }
            const stored = await opts.inbox.add(raw, {
              from: envelopeFrom,
              to: session.envelope.rcptTo.map((r) => r.address),
              user,
            })
            finish(null, `2.0.0 OK <${stored.id}@localhost> [Hostname=localhost]`)
          })
          .catch(() => finish(smtpError(REPLIES.busy)))
      })
    },
  })

  // smtp-server adds its own enhanced status code to every reply; Exchange's replies carry
  // specific ones (5.7.3, 5.7.139, 5.2.252…), so a text that already starts with one is sent as
  // is. AUTH with a mechanism not offered, which before STARTTLS is any AUTH (smtp-server then
  // does not know the command), gets Exchange's `504 5.7.4 Unrecognized authentication type`.
  // Patched per connection, so no other smtp-server in the process is affected.
  const add = server.connections.add.bind(server.connections)
  server.connections.add = (connection) => {
    const send = connection.send.bind(connection)
    connection.send = (code, data, context) => {
      const unknownAuth = code === 504 && /Unrecognized authentication/.test(String(data))
      if (unknownAuth || (context === 'AUTH' && code === 500 && !connection.secure)) {
        return send(504, REPLIES.unrecognizedAuth[1], false)
      }
      const exchange = EXCHANGE_TEXTS[[code, data, context || ''].join(' ').trim()]
      if (exchange) return send(code, exchange, false)
      return send(code, data, typeof data === 'string' && ENHANCED.test(data) ? false : context)
    }
    return add(connection)
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.on('error', (err) => reject(listenError(err, 'SMTP server', port, 'RELAY_SANDBOX_SMTP_PORT')))
      server.listen(port, '127.0.0.1', () => {
        server.removeAllListeners('error')
        // Connection-level errors (a client dropping mid-handshake) are normal; keep the server up.
        server.on('error', () => undefined)
        resolve()
      })
    })
  await listen(opts.port)
  const { port } = server.server.address() as AddressInfo
  let down = false
  return {
    port,
    async setDown(next) {
      if (next === down) return
      down = next
      if (!next) return listen(port)
      // A server going down: no new connections (ECONNREFUSED), and the open sessions (a
      // client's pooled connection) end with Exchange's 421 instead of working on.
      // The listening socket closes at once; close's callback would wait for every session.
      server.server.close()
      for (const connection of server.connections) {
        connection.send(REPLIES.serviceNotActive[0], REPLIES.serviceNotActive[1])
        connection.close()
      }
    },
    sessions: () => ({ open: Object.fromEntries(authenticated), peak: Object.fromEntries(peak) }),
    // With the listener already closed (down), net's close still calls back (with an error).
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
