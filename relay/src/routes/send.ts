/**
 * `POST /api/send` (shared/API.md): validate, check the target against the allow-list, build
 * the MIME message (the host is resolved only if a new connection is opened), submit it through the SMTP engine (on an idle connection of the relay's
 * pool unless `smtp.reuse` is false), answer with the server's reply, the redacted transcript
 * and the timings. Engine failures are thrown on to `onError`.
 *
 * @module
 */
import { Hono } from 'hono'
import { SendRequest, type SendSuccess } from '../../../src/lib/contract/api.ts'
import type { AppDeps } from '../app.ts'
import type { RelayEnv } from '../http/context.ts'
import { requestBodyLimit } from '../http/body-limit.ts'
import { ApiError, CLOSE_CONNECTION } from '../http/errors.ts'
import { isSmtpError } from '../http/smtp-errors.ts'
import { allowSmtpTarget } from '../http/targets.ts'
import { jsonBody } from '../http/validate.ts'
import { perClientLimit } from '../middleware/rate-limit.ts'
import { buildMessage, MimeError } from '../mime/index.ts'
import type { SendResult } from '../smtp/types.ts'

/**
 * The JSON body may exceed the encoded message a little: both carry attachments in base64,
 * and the JSON adds the envelope fields. The encoded size is checked exactly after building.
 */
const JSON_OVERHEAD_BYTES = 256 * 1024

const tooLarge = (limit: number) =>
  new ApiError(
    'PAYLOAD_TOO_LARGE',
    `The message is larger than this relay's limit of ${limit} bytes.`,
    {
      hint: 'Send smaller or fewer attachments (an administrator sets RELAY_MAX_MESSAGE_BYTES).',
      headers: CLOSE_CONNECTION,
    },
  )

/** At most this many of a name's addresses are tried (each may take the connect timeout). */
const MAX_ADDRESSES = 3

/**
 * Sends to the checked addresses in order; only a connection that could not be opened moves on
 * to the next one (`localhost` may resolve to ::1 while a server listens on 127.0.0.1 only).
 * The name is resolved when the engine opens a connection, not before: a send on a reused
 * connection resolves nothing (a lookup per request, uncached by the system's resolver, would
 * cost more than the reused send saves).
 */
async function firstReachable(
  resolve: () => Promise<string[]>,
  send: (resolveAddress: () => Promise<string>) => Promise<SendResult>,
): Promise<SendResult> {
  let addresses: Promise<string[]> | undefined
  const resolved = () => (addresses ??= resolve().then((all) => all.slice(0, MAX_ADDRESSES)))
  for (let i = 0;; i++) {
    try {
      return await send(async () => (await resolved())[i] as string)
    } catch (err) {
      // A TCP connection that could not be made: nothing was said to this address. Such a
      // failure comes only from opening a connection, which resolved the name first.
      const unreachable = isSmtpError(err) && err.stage === 'connect' && err.kind === 'socket'
      if (!unreachable || !addresses || i + 1 >= (await addresses).length) throw err
    }
  }
}

export function sendRoutes(deps: AppDeps): Hono<RelayEnv> {
  const { config } = deps
  return new Hono<RelayEnv>().post(
    '/send',
    perClientLimit({ limit: config.rateLimitPerMinute, clientAddress: deps.clientAddress }),
    requestBodyLimit({
      maxSize: config.maxMessageBytes + JSON_OVERHEAD_BYTES,
      onError: () => {
        throw tooLarge(config.maxMessageBytes)
      },
    }),
    jsonBody(SendRequest),
    async (c) => c.json(await submitMessage(deps, c.req.valid('json'))),
  )
}

/** What a submission needs of the app's dependencies. */
export type SubmitDeps = Pick<AppDeps, 'config' | 'resolveHost' | 'sendMail' | 'smtpTimeouts' | 'pool'>

/**
 * The heart of `/api/send`, shared with the gateway's test send: check the target, build the
 * MIME message, submit it, answer as the contract says. Failures are thrown (`ApiError`, or the
 * engine's `SmtpError` that `onError` maps).
 */
export async function submitMessage(
  deps: SubmitDeps,
  { smtp, auth, message }: SendRequest,
): Promise<SendSuccess> {
  const { config } = deps
  const target = allowSmtpTarget(config, smtp, deps.resolveHost)
  let built
  try {
    built = await buildMessage(message)
  } catch (err) {
    if (!(err instanceof MimeError)) throw err
    throw new ApiError(
      'INVALID_REQUEST',
      'The message cannot be encoded: a header line is too long.',
      {
        hint: 'Shorten the display names or subject.',
        path: 'message',
      },
    )
  }
  if (built.raw.byteLength > config.maxMessageBytes) throw tooLarge(config.maxMessageBytes)

  const result = await firstReachable(
    target.resolve,
    (resolveAddress) =>
      deps.sendMail({
        host: smtp.host.replace(/^\[|\]$/g, ''),
        port: smtp.port,
        security: smtp.security,
        resolveAddress,
        ...(config.ca.length > 0 && { ca: config.ca }),
        auth,
        allowPlaintextAuth: target.allowPlaintextAuth,
        envelope: built.envelope,
        message: built.raw,
        eightBit: built.eightBit,
        smtpUtf8: built.smtpUtf8,
        ...(deps.smtpTimeouts && { timeouts: deps.smtpTimeouts }),
        // `reuse: false` still counts against the pool's limit per mailbox.
        ...(deps.pool && { pool: deps.pool, fresh: smtp.reuse === false }),
      }),
  )
  const body: SendSuccess = {
    ok: true,
    messageId: built.messageId,
    accepted: result.accepted,
    rejected: result.rejected.map((r) => r.address),
    response: result.response,
    transcript: result.transcript,
    timings: result.timings,
  }
  return body
}

