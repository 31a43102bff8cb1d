/**
 * The two clients under test behind one small interface: our engine (`sendMail`, with a pool
 * for reuse) and Nodemailer's SMTP transport (`pool: true` for reuse). Both send the same
 * prebuilt message bytes, so only the SMTP dialogue is compared, not MIME building.
 *
 * @module
 */
import { Buffer } from 'node:buffer'
import nodemailer from 'nodemailer'
import { createPool, sendMail, type Pool } from '../relay/src/smtp/index.ts'
import type { SendAuth, Security } from '../src/lib/contract/api.ts'

export type Client = 'ours' | 'nodemailer'
export const CLIENTS: Client[] = ['ours', 'nodemailer']

export interface Target {
  /** The certificate's name (SNI); the connection goes to 127.0.0.1. */
  host: string
  port: number
  security: Security
  ca: string
  auth: SendAuth
  envelope: { from: string; to: string[] }
  message: Uint8Array
}

export interface Sender {
  send(): Promise<{ usedBdat?: boolean; resumedTls?: boolean }>
  close(): Promise<void>
}

/** Both clients greet with the same EHLO name. */
const CLIENT_NAME = '[127.0.0.1]'

/** A sender; `reuse` keeps connections (our pool, Nodemailer `pool: true`), at most 3 of them. */
export function makeSender(client: Client, target: Target, reuse: boolean): Sender {
  return client === 'ours' ? ours(target, reuse) : theirs(target, reuse)
}

function ours(target: Target, reuse: boolean): Sender {
  const pool: Pool | undefined = reuse ? createPool({ maxPerMailbox: 3 }) : undefined
  return {
    async send() {
      const result = await sendMail({
        host: target.host,
        port: target.port,
        security: target.security,
        connectAddress: '127.0.0.1',
        ca: target.ca,
        auth: target.auth,
        allowPlaintextAuth: target.security === 'none',
        envelope: target.envelope,
        message: target.message,
        clientName: CLIENT_NAME,
        ...(pool ? { pool } : {}),
      })
      const lines = result.transcript
      return {
        usedBdat: lines.some((l) => l.dir === 'C' && l.line.startsWith('BDAT')),
        resumedTls: lines.some((l) => l.dir === 'I' && /^TLS established.*resumed/.test(l.line)),
      }
    },
    async close() {
      await pool?.close()
    },
  }
}

function theirs(target: Target, reuse: boolean): Sender {
  const auth = target.auth
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: target.port,
    secure: target.security === 'tls',
    requireTLS: target.security === 'starttls',
    ignoreTLS: target.security === 'none',
    tls: { ca: target.ca, servername: target.host },
    name: CLIENT_NAME,
    ...(auth.type === 'xoauth2'
      ? { auth: { type: 'OAuth2' as const, user: auth.user, accessToken: auth.accessToken } }
      : {}),
    ...(reuse ? { pool: true as const, maxConnections: 3, maxMessages: Infinity } : {}),
    logger: false,
  })
  const raw = Buffer.from(target.message)
  return {
    async send() {
      await transport.sendMail({ envelope: target.envelope, raw })
      return {}
    },
    async close() {
      transport.close()
    },
  }
}
