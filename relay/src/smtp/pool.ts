/**
 * Connection reuse: authenticated sessions kept idle for a short while, so a burst of messages
 * to the same mailbox costs one round trip each (RSET + MAIL + RCPT + BDAT pipelined).
 *
 * Sessions are keyed by host, port, security, user and a SHA-256 of the secret, never the secret
 * itself. At most `maxPerMailbox` connections (idle or busy) exist per host and user: Microsoft
 * 365 refuses a fourth concurrent submission ("432 4.3.2 … sender thread limit exceeded").
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { Session } from './client.ts'
import type { SendOptions } from './types.ts'

export interface PoolOptions {
  /** How long an idle connection is kept (ms). */
  idleMs?: number
  /** Most connections per mailbox, idle and busy together. */
  maxPerMailbox?: number
}

/** A slot in the pool: an idle session to reuse, or the right to open one. */
export interface Lease {
  session?: Session
  /** How long the session was idle (ms), when reused. */
  idleMs?: number
  /** Gives the slot back: with a reusable session, or undefined when it is gone. */
  release(session: Session | undefined): void
}

export interface Pool {
  /** Waits for a slot of the mailbox `opts` sends as (rejects when `signal` aborts). */
  acquire(opts: SendOptions): Promise<Lease>
  /** Idle connections now held. */
  readonly idleCount: number
  /** Ends every idle connection (QUIT) and refuses further use; busy ones end on release. */
  close(): Promise<void>
}

interface Idle {
  session: Session
  since: number
  timer: ReturnType<typeof setTimeout>
  unwatch: () => void
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** The reuse key: everything that shapes an authenticated session; secrets only hashed. */
export function sessionKey(opts: SendOptions): { key: string; mailbox: string } {
  const auth = opts.auth
  const user = auth.type === 'none' ? '' : auth.user
  const secret = auth.type === 'none'
    ? ''
    : auth.type === 'plain' || auth.type === 'login'
    ? auth.password
    : auth.accessToken
  const parts = [
    opts.host,
    opts.port,
    opts.security,
    opts.connectAddress ?? '',
    auth.type,
    user,
    sha256(secret),
    sha256([opts.ca ?? []].flat().join('\n')),
    opts.clientName ?? '',
    opts.allowPlaintextAuth ? 'plain-ok' : '',
  ]
  return { key: sha256(JSON.stringify(parts)), mailbox: JSON.stringify([opts.host, user]) }
}

export function createPool({ idleMs = 30_000, maxPerMailbox = 3 }: PoolOptions = {}): Pool {
  const idle = new Map<string, Idle[]>()
  const open = new Map<string, number>()
  const waiters = new Map<string, (() => void)[]>()
  const mailboxOf = new Map<string, string>()
  let closed = false

  const wake = (mailbox: string) => waiters.get(mailbox)?.shift()?.()
  const forget = (mailbox: string) => {
    const n = (open.get(mailbox) ?? 1) - 1
    if (n > 0) open.set(mailbox, n)
    else open.delete(mailbox)
    wake(mailbox)
  }

  const take = (key: string): Idle | undefined => {
    const list = idle.get(key)
    const entry = list?.pop()
    if (list && list.length === 0) idle.delete(key)
    if (entry) {
      clearTimeout(entry.timer)
      entry.unwatch()
    }
    return entry
  }

  /** Closes one idle session of `mailbox` held under another key (say, an older token). */
  const evictOther = (mailbox: string, key: string): boolean => {
    for (const [k] of idle) {
      if (k === key || mailboxOf.get(k) !== mailbox) continue
      const entry = take(k)
      if (!entry) continue
      entry.session.dispose()
      forget(mailbox)
      return true
    }
    return false
  }

  const leaseFor = (key: string, mailbox: string, reused?: Idle): Lease => {
    let released = false
    const lease: Lease = {
      release(session) {
        if (released) return
        released = true
        const usable = session && !closed && !session.wire.closed && !session.wire.hasUnread
        if (!session || !usable) {
          session?.wire.close()
          forget(mailbox)
          return
        }
        const entry: Idle = {
          session,
          since: performance.now(),
          timer: setTimeout(() => {
            const list = idle.get(key)
            const i = list?.indexOf(entry) ?? -1
            if (list && i >= 0) list.splice(i, 1)
            if (list?.length === 0) idle.delete(key)
            entry.unwatch()
            session.dispose()
            forget(mailbox)
          }, idleMs),
          // The server may close an idle connection (421 on its own timeout): drop it then.
          unwatch: session.wire.onClose(() => {
            clearTimeout(entry.timer)
            const list = idle.get(key)
            const i = list?.indexOf(entry) ?? -1
            if (list && i >= 0) {
              list.splice(i, 1)
              if (list.length === 0) idle.delete(key)
              forget(mailbox)
            }
          }),
        }
        ;(entry.timer as { unref?: () => void }).unref?.()
        idle.set(key, [...(idle.get(key) ?? []), entry])
        mailboxOf.set(key, mailbox)
        wake(mailbox)
      },
    }
    if (reused) {
      lease.session = reused.session
      lease.idleMs = performance.now() - reused.since
    }
    return lease
  }

  return {
    async acquire(opts) {
      const { key, mailbox } = sessionKey(opts)
      for (;;) {
        if (closed) throw new Error('the connection pool is closed')
        opts.signal?.throwIfAborted()
        const reused = take(key)
        if (reused) return leaseFor(key, mailbox, reused)
        const n = open.get(mailbox) ?? 0
        if (n < maxPerMailbox) {
          open.set(mailbox, n + 1)
          return leaseFor(key, mailbox)
        }
        if (evictOther(mailbox, key)) continue
        await new Promise<void>((resolve) => {
          const list = waiters.get(mailbox) ?? []
          const done = () => {
            opts.signal?.removeEventListener('abort', done)
            const i = list.indexOf(done)
            if (i >= 0) list.splice(i, 1)
            resolve()
          }
          list.push(done)
          waiters.set(mailbox, list)
          opts.signal?.addEventListener('abort', done, { once: true })
        })
      }
    },
    get idleCount() {
      let n = 0
      for (const list of idle.values()) n += list.length
      return n
    },
    async close() {
      closed = true
      for (const [key, list] of [...idle]) {
        for (const entry of list) {
          clearTimeout(entry.timer)
          entry.unwatch()
          entry.session.dispose()
        }
        idle.delete(key)
      }
      open.clear()
      for (const list of waiters.values()) for (const w of [...list]) w()
    },
  }
}
