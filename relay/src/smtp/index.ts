/**
 * The SMTP engine: `sendMail` submits one message to a submission server (Microsoft 365 or any
 * other) over STARTTLS or implicit TLS with AUTH XOAUTH2, OAUTHBEARER, PLAIN or LOGIN.
 * Only `node:net`, `node:tls`, `node:buffer`, `node:crypto` and web APIs: runs on Node and Deno.
 *
 * @example
 * import { sendMail, SmtpError } from './smtp/index.ts'
 * try {
 *   const result = await sendMail({
 *     host: 'smtp.office365.com', port: 587, security: 'starttls',
 *     auth: { type: 'xoauth2', user: 'sender@contoso.com', accessToken },
 *     envelope: { from: 'sender@contoso.com', to: ['admin@contoso.com'] },
 *     message: built.raw, eightBit: built.eightBit,
 *   })
 * } catch (e) {
 *   if (e instanceof SmtpError) console.log(e.stage, e.kind, e.reply, e.transient, e.maybeAccepted)
 * }
 *
 * @module
 */
export { DEFAULT_TIMEOUTS, sendMail } from './send.ts'
export {
  type FailureKind,
  formatReply,
  isTransient,
  isTransientFailure,
  maybeAccepted,
  SmtpError,
} from './errors.ts'
export { createPool, type Pool, type PoolOptions } from './pool.ts'
export { dotStuff, normalizeLineEnds } from './body.ts'
export type * from './types.ts'
