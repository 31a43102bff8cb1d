/**
 * A real submission server for tests: `smtp-server` on 127.0.0.1, STARTTLS (or implicit TLS)
 * with a certificate made at run time, AUTH XOAUTH2 checking the token, PLAIN and LOGIN checking
 * a password, PIPELINING. Every accepted message is kept with its envelope.
 *
 * @example
 * const peer = await startSmtpPeer()
 * await sendMail({ host: 'localhost', connectAddress: '127.0.0.1', port: peer.port, ca: peer.caPem, ... })
 * const [received] = peer.messages
 * await peer.close()
 *
 * @module
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerOptions } from 'smtp-server'
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueServerCertificate,
} from '../../relay/src/tls/certs.ts'

export interface ReceivedMessage {
  from: string
  to: string[]
  /** The user the session authenticated as. */
  user: string | undefined
  raw: Buffer
  /** MAIL FROM parameters the server saw (e.g. BODY, SMTPUTF8). */
  params: Record<string, unknown>
}

export interface SmtpPeer {
  port: number
  caPem: string
  user: string
  token: string
  /** Tokens accepted for XOAUTH2 (`token` and any a test adds, e.g. a renewed one). */
  tokens: Set<string>
  password: string
  messages: ReceivedMessage[]
  /** Recipients refused at RCPT (550). */
  refuse: Set<string>
  /** Connections now open, the most open at once, and all so far. */
  connections: { open: number; max: number; total: number }
  /** Errors the server reported (e.g. a client that refused its certificate). */
  errors: Error[]
  close(): Promise<void>
}

export interface SmtpPeerOptions {
  secure?: boolean
  /** Share a CA (and so one trusted root) between peers; a new one by default. */
  ca?: CertificateAuthority
  /** Share credentials between peers; new random ones by default. */
  credentials?: { user: string; token: string; password: string }
  /** Extra smtp-server options (for example `size`). */
  server?: Partial<SMTPServerOptions>
}

export async function startSmtpPeer(opts: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const ca = opts.ca ?? createCertificateAuthority('mailkey test CA')
  const leaf = issueServerCertificate(ca, { dns: ['localhost'], ip: ['127.0.0.1'] })
  const { user, token, password } = opts.credentials ?? {
    user: 'sender@contoso.example',
    token: `tok-${crypto.randomUUID()}`,
    password: `pw-${crypto.randomUUID()}`,
  }
  const tokens = new Set([token])
  const messages: ReceivedMessage[] = []
  const refuse = new Set<string>()
  const connections = { open: 0, max: 0, total: 0 }
  const errors: Error[] = []
  const server = new SMTPServer({
    secure: opts.secure ?? false,
    key: leaf.keyPem,
    cert: leaf.certPem,
    name: 'localhost',
    authMethods: ['XOAUTH2', 'PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      connections.open++
      connections.total++
      connections.max = Math.max(connections.max, connections.open)
      callback()
    },
    onClose() {
      connections.open--
    },
    onAuth(auth, _session, callback) {
      if (auth.username !== user) {
        return callback(null, { data: { status: '401', schemes: 'bearer' } })
      }
      if (auth.method === 'XOAUTH2') {
        if (auth.accessToken && tokens.has(auth.accessToken)) return callback(null, { user })
        return callback(null, {
          data: { status: '401', schemes: 'bearer', scope: 'https://outlook.office.com/SMTP.Send' },
        })
      }
      if (auth.password === password) return callback(null, { user })
      const error = Object.assign(new Error('Authentication unsuccessful'), { responseCode: 535 })
      return callback(error)
    },
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) {
        return callback(Object.assign(new Error('5.1.1 Recipient unknown'), { responseCode: 550 }))
      }
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const env = session.envelope
        messages.push({
          from: env.mailFrom ? env.mailFrom.address : '',
          to: env.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          raw: Buffer.concat(chunks),
          params: env.mailFrom ? { ...env.mailFrom.args } : {},
        })
        callback(null, 'OK: queued')
      })
    },
    ...opts.server,
  })
  // Client-side failures the tests provoke (an untrusted certificate) surface here; without a
  // listener they would be unhandled errors.
  server.on('error', (e: Error) => errors.push(e))
  server.listen(0, '127.0.0.1')
  await once(server.server, 'listening')
  const { port } = server.server.address() as AddressInfo
  return {
    port,
    caPem: ca.certPem,
    user,
    token,
    tokens,
    password,
    messages,
    refuse,
    connections,
    errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
