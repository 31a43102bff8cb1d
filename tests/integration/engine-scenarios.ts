/**
 * The engine's integration scenarios, written once and run on both runtimes: by
 * `engine.test.ts` in Node (vitest) and by `tests/deno/engine.ts` under Deno, against the same
 * `smtp-server` peers started by the vitest side. Runtime-neutral: the engine, the MIME builder
 * and web APIs only, no test framework. A scenario throws when something is wrong and returns
 * what the Node side should find on the peer (the message it sent, by Message-ID).
 *
 * @module
 */
import { buildMessage } from '../../relay/src/mime/index.ts'
import type { Message } from '../../relay/src/mime/types.ts'
import { createPool, sendMail, type SendOptions, SmtpError } from '../../relay/src/smtp/index.ts'

/** Where the peers are; passed to Deno as JSON in ENGINE_PEERS. */
export interface PeerEnv {
  /** STARTTLS peer (port 587 style). */
  port: number
  /** Implicit TLS peer (port 465 style). */
  tlsPort: number
  caPem: string
  user: string
  token: string
  password: string
  /** A scripted peer that injects a reply after its STARTTLS 220. */
  injectionPort: number
  /** A recipient the peer refuses at RCPT. */
  refused: string
  runtime: 'node' | 'deno'
}

/** A message the Node side must find on the peer, parsed and compared field by field. */
export interface Delivered {
  messageId: string
  message: Message
  envelope: { from: string; to: string[] }
  /** The authenticated user the peer saw. */
  user: string
}

export interface Scenario {
  name: string
  run(env: PeerEnv): Promise<Delivered[]>
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

function target(
  env: PeerEnv,
  extra: Partial<SendOptions> = {}
): Omit<SendOptions, 'envelope' | 'message'> {
  return {
    host: 'localhost',
    connectAddress: '127.0.0.1',
    port: env.port,
    security: 'starttls',
    ca: env.caPem,
    auth: { type: 'xoauth2', user: env.user, accessToken: env.token },
    ...extra,
  }
}

function japanese(env: PeerEnv, tag: string): Message {
  return {
    from: `山田 太郎 <${env.user}>`,
    to: ['"鈴木, 花子" <hanako@example.jp>'],
    cc: ['佐藤 <sato@example.jp>'],
    bcc: ['hidden@example.net'],
    subject: `【テスト】送信確認 ${tag} ${env.runtime} 😀 ` + 'あ'.repeat(40),
    text: 'こんにちは。\n.\n..先頭のドット\nこれはテストです。\n',
    html: '<p>こんにちは。</p>',
    attachments: [{
      filename: '報告書 2026年11月.pdf',
      contentType: 'application/pdf',
      contentBase64: 'JVBERi0xLjQK',
    }],
  }
}

async function sendBuilt(env: PeerEnv, message: Message, extra: Partial<SendOptions> = {}) {
  const built = await buildMessage(message)
  const result = await sendMail({
    ...target(env, extra),
    envelope: built.envelope,
    message: built.raw,
    eightBit: built.eightBit,
    smtpUtf8: built.smtpUtf8,
  })
  const delivered: Delivered = {
    messageId: built.messageId,
    message,
    envelope: built.envelope,
    user: env.user,
  }
  return { built, result, delivered }
}

/** The engine's failure in its own terms: where (`stage`) and what kind of failure. */
function expectFailure(e: unknown, stage: string, kinds: string[]): SmtpError {
  check(e instanceof SmtpError, `expected an SmtpError, got ${String(e)}`)
  check(
    e.stage === stage && kinds.includes(e.kind),
    `expected ${kinds.join(' or ')} at ${stage}, got ${e.kind} at ${e.stage}: ${e.message}`
  )
  return e
}

export const scenarios: Scenario[] = [
  {
    name: 'STARTTLS + XOAUTH2: a Japanese message with an attachment arrives intact',
    async run(env) {
      const { result, delivered } = await sendBuilt(env, japanese(env, 'xoauth2'))
      check(
        result.accepted.length === 3 && result.rejected.length === 0,
        `accepted ${result.accepted.join(', ')}`
      )
      check(/^250 /.test(result.response), `response ${result.response}`)
      const lines = result.transcript.map((l) => `${l.dir} ${l.line}`)
      check(lines.includes('C AUTH XOAUTH2 ****'), 'the AUTH line is redacted')
      check(lines.some((l) => /^I TLS established: TLSv1\.[23]/.test(l)), 'TLS is reported')
      check(
        lines.some((l) => /^C <message body, \d+ bytes>$/.test(l)),
        'the body shows as its size'
      )
      check(!JSON.stringify(result).includes(env.token), 'no token in the result')
      return [delivered]
    },
  },
  {
    name: 'XOAUTH2 with a wrong token: AUTH_FAILED with the decoded error challenge',
    async run(env) {
      const error = await sendBuilt(env, japanese(env, 'bad'), {
        auth: { type: 'xoauth2', user: env.user, accessToken: 'wrong-token-123' },
      }).catch((e: unknown) => e)
      const e = expectFailure(error, 'auth', ['reply'])
      check((e.saslChallenge as { status?: string })?.status === '401', 'the 334 JSON is kept')
      check(e.reply?.code === 535, `reply ${e.reply?.code}`)
      check(
        !JSON.stringify(e.transcript).includes('wrong-token-123') &&
          !e.message.includes('wrong-token-123'),
        'no token shown'
      )
      return []
    },
  },
  {
    name: 'PLAIN and LOGIN',
    async run(env) {
      const delivered: Delivered[] = []
      for (const type of ['plain', 'login'] as const) {
        const sent = await sendBuilt(env, japanese(env, type), {
          auth: { type, user: env.user, password: env.password },
        })
        check(!JSON.stringify(sent.result).includes(env.password), 'no password in the result')
        delivered.push(sent.delivered)
      }
      return delivered
    },
  },
  {
    name: 'partial acceptance is a success with the refused recipient listed',
    async run(env) {
      const message: Message = {
        from: env.user,
        to: ['ok@example.jp', env.refused],
        subject: 'partial',
        text: 'x',
      }
      const { result, delivered } = await sendBuilt(env, message)
      check(result.accepted.join() === 'ok@example.jp', `accepted ${result.accepted.join()}`)
      check(
        result.rejected[0]?.address === env.refused && result.rejected[0].reply.code === 550,
        'rejected listed'
      )
      const none = await sendBuilt(env, { ...message, to: [env.refused] }).catch((e: unknown) => e)
      expectFailure(none, 'rcpt', ['reply'])
      return [{ ...delivered, envelope: { ...delivered.envelope, to: ['ok@example.jp'] } }]
    },
  },
  {
    name: 'SMTPUTF8 and 8BITMIME when the addresses and body need them',
    async run(env) {
      const message: Message = {
        from: env.user,
        to: ['たろう@例え.jp'],
        subject: 'UTF-8 宛先',
        text: '本文',
      }
      const { built, delivered } = await sendBuilt(env, message)
      check(built.smtpUtf8, 'the builder asks for SMTPUTF8')
      return [delivered]
    },
  },
  {
    name: 'an untrusted certificate or a wrong name is TLS_FAILED, never a fallback',
    async run(env) {
      const error = await sendBuilt(env, japanese(env, 'untrusted'), { ca: undefined }).catch((
        e: unknown
      ) => e)
      const e = expectFailure(error, 'tls', ['tls'])
      check(
        !e.transcript.some((l) => l.line.startsWith('AUTH')),
        'no AUTH after a failed handshake'
      )
      // The CA is trusted but the certificate names another host.
      const wrongName = await sendBuilt(env, japanese(env, 'wrong-name'), {
        host: 'mx.other.example',
      }).catch((e: unknown) => e)
      const w = expectFailure(wrongName, 'tls', ['tls'])
      check(/ALTNAME|altname|certificate|name/i.test(w.message), `message ${w.message}`)
      return []
    },
  },
  {
    name: 'STARTTLS response injection is refused before any TLS or AUTH byte',
    async run(env) {
      const error = await sendMail({
        ...target(env, { port: env.injectionPort, clientName: 'client.example' }),
        envelope: { from: env.user, to: ['a@example.jp'] },
        message: new TextEncoder().encode('Subject: x\r\n\r\nx\r\n'),
      }).catch((e: unknown) => e)
      const e = expectFailure(error, 'starttls', ['protocol'])
      check(!e.transient && !e.maybeAccepted, 'permanent, nothing sent')
      return []
    },
  },
  {
    name: 'implicit TLS',
    async run(env) {
      const { delivered } = await sendBuilt(env, japanese(env, 'implicit'), {
        port: env.tlsPort,
        security: 'tls',
      })
      return [delivered]
    },
  },
  {
    name: 'a pool reuses the authenticated connection',
    async run(env) {
      const pool = createPool({ idleMs: 5_000 })
      try {
        const delivered: Delivered[] = []
        for (let i = 0; i < 3; i++) {
          const { result, delivered: d } = await sendBuilt(env, {
            from: env.user,
            to: ['pool@example.jp'],
            subject: `pool ${i}`,
            text: `#${i}`,
          }, { pool })
          const reused = result.transcript[0]?.line.startsWith('reusing') ?? false
          check(reused === (i > 0), `send ${i} reused: ${reused}`)
          delivered.push(d)
        }
        return delivered
      } finally {
        await pool.close()
      }
    },
  },
]
