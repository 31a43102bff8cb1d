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
  /**
   * Most idle connections over all mailboxes: past it the one idle longest is closed (QUIT).
   * Each holds a TLS connection and its buffers; a burst from many mailboxes must not keep one
   * open per mailbox for `idleMs`.
   */
  maxIdle?: number
}

/** A slot in the pool: an idle session to reuse, or the right to open one. */
export interface Lease {
  session?: Session
  /** How long the session was idle (ms), when reused. */
  idleMs?: number
  /** How many messages the session carried before this one, when reused. */
  messages?: number
  /** Gives the slot back: with a reusable session, or undefined when it is gone. */
  release(session: Session | undefined): void
}

export interface AcquireOptions {
  /**
   * Never an idle session: the right to open a new one, still counted against the mailbox's
   * limit (an idle session is closed to make room when the limit is reached).
   */
  fresh?: boolean
}

export interface Pool {
  /** Waits for a slot of the mailbox `opts` sends as (rejects when `signal` aborts). */
  acquire(opts: SendOptions, how?: AcquireOptions): Promise<Lease>
  /** Idle connections now held. */
  readonly idleCount: number
  /**
   * Ends idle connections of the mailbox (`host` and `user`, whatever their token) until at
   * most `keep` of its connections remain, idle and busy together; resolves once they have
   * closed. Busy connections are never touched. The gateway calls it when a delivery lane
   * gives back its connection slot, so no connection outlives the slot it was opened under.
   */
  trim(host: string, user: string, keep: number): Promise<void>
  /**
   * Ends every idle connection (QUIT, resolving once they have closed) and refuses further use;
   * busy ones end on release.
   */
  close(): Promise<void>
}

interface Idle {
  session: Session
  since: number
  messages: number
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
    // Not the connect address: any checked address of `host` serves (the certificate names
    // `host`), and a name with several addresses, tried in turn, keeps its connections.
    auth.type,
    user,
    sha256(secret),
    sha256([opts.ca ?? []].flat().join('\n')),
    opts.clientName ?? '',
    opts.allowPlaintextAuth ? 'plain-ok' : '',
  ]
  return { key: sha256(JSON.stringify(parts)), mailbox: JSON.stringify([opts.host, user]) }
}

export function createPool({ idleMs = 30_000, maxPerMailbox = 3, maxIdle = 10 }: PoolOptions = {}): Pool {
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
  /**
   * Ends `session` politely (QUIT) and frees its slot once the connection has really closed: a
   * connection saying goodbye still counts against the mailbox's limit.
   */
  const retire = (session: Session, mailbox: string) => {
    session.dispose()
    session.wire.onClose(() => forget(mailbox))
  }

  /** Removes and returns the most recently idle session of `key`, whatever its state. */
  const take = (key: string): Idle | undefined => {
    const list = idle.get(key)
    const entry = list?.pop()
    if (list && list.length === 0) idle.delete(key)
    entry?.unwatch()
    return entry
  }

  /**
   * An idle session of `key` still fit to carry a message. One the server has closed, or that
   * holds bytes nobody asked for (a `421` announcing the close, its FIN not yet here), is
   * dropped and its slot freed.
   */
  const takeUsable = (key: string, mailbox: string): Idle | undefined => {
    for (;;) {
      const entry = take(key)
      if (!entry) return undefined
      const wire = entry.session.wire
      if (!wire.closed && !wire.hasUnread) return entry
      wire.close()
      forget(mailbox)
    }
  }

  /**
   * Closes one idle session of `mailbox` held under another key (say, an older token), or
   * under any key when `anyKey` (a fresh connection is wanted).
   */
  const evictOther = (mailbox: string, key: string, anyKey = false): boolean => {
    for (const [k] of idle) {
      if ((k === key && !anyKey) || mailboxOf.get(k) !== mailbox) continue
      const entry = take(k)
      if (!entry) continue
      retire(entry.session, mailbox)
      return true
    }
    return false
  }

  const idleTotal = () => {
    let n = 0
    for (const list of idle.values()) n += list.length
    return n
  }
  /** Closes the connection idle the longest, of any mailbox (each list is in idle order). */
  const retireOldestIdle = () => {
    let oldest: { key: string; entry: Idle } | undefined
    for (const [key, list] of idle) {
      const first = list[0]
      if (first && (!oldest || first.since < oldest.entry.since)) oldest = { key, entry: first }
    }
    if (!oldest) return
    const list = idle.get(oldest.key)!
    list.shift()
    if (list.length === 0) idle.delete(oldest.key)
    oldest.entry.unwatch()
    retire(oldest.entry.session, mailboxOf.get(oldest.key) ?? '')
  }

  const leaseFor = (key: string, mailbox: string, reused?: Idle): Lease => {
    let released = false
    const messages = (reused?.messages ?? 0) + 1
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
        const drop = () => {
          const list = idle.get(key)
          const i = list?.indexOf(entry) ?? -1
          if (!list || i < 0) return false
          list.splice(i, 1)
          if (list.length === 0) idle.delete(key)
          entry.unwatch()
          return true
        }
        // A reply while idle was asked for by nobody: the server is closing (421 on its own
        // timer) or confused. Either way the connection cannot carry a message: close it.
        const onLine = session.wire.onLine
        session.wire.onLine = (line) => {
          onLine(line)
          session.wire.close()
        }
        // The server may close an idle connection: drop it then.
        const unwatchClose = session.wire.onClose(() => {
          if (drop()) forget(mailbox)
        })
        const entry: Idle = {
          session,
          since: performance.now(),
          messages,
          timer: setTimeout(() => {
            if (drop()) retire(session, mailbox)
          }, idleMs),
          unwatch: () => {
            clearTimeout(entry.timer)
            session.wire.onLine = onLine
            unwatchClose()
          },
        }
        ;(entry.timer as { unref?: () => void }).unref?.()
        idle.set(key, [...(idle.get(key) ?? []), entry])
        mailboxOf.set(key, mailbox)
        wake(mailbox)
        if (idleTotal() > maxIdle) retireOldestIdle()
      },
    }
    if (reused) {
      lease.session = reused.session
      lease.idleMs = performance.now() - reused.since
      lease.messages = reused.messages
    }
    return lease
  }

  return {
    async acquire(opts, { fresh = false } = {}) {
      const { key, mailbox } = sessionKey(opts)
      for (;;) {
        if (closed) throw new Error('the connection pool is closed')
        opts.signal?.throwIfAborted()
        const reused = fresh ? undefined : takeUsable(key, mailbox)
        if (reused) return leaseFor(key, mailbox, reused)
        const n = open.get(mailbox) ?? 0
        if (n < maxPerMailbox) {
          open.set(mailbox, n + 1)
          return leaseFor(key, mailbox)
        }
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
          // Registered first: the evicted connection's close frees the slot and wakes a waiter.
          evictOther(mailbox, key, fresh)
        })
      }
    },
    async trim(host, user, keep) {
      const mailbox = JSON.stringify([host, user])
      const ended: Promise<void>[] = []
      let n = open.get(mailbox) ?? 0
      while (n > keep) {
        const k = [...idle.keys()].find((key) => mailboxOf.get(key) === mailbox)
        const entry = k === undefined ? undefined : take(k)
        if (!entry) break
        ended.push(new Promise((resolve) => entry.session.wire.onClose(resolve)))
        retire(entry.session, mailbox)
        n--
      }
      await Promise.all(ended)
    },
    get idleCount() {
      return idleTotal()
    },
    async close() {
      closed = true
      const ended: Promise<void>[] = []
      for (const [key, list] of [...idle]) {
        for (const entry of list) {
          entry.unwatch()
          entry.session.dispose()
          ended.push(new Promise((resolve) => entry.session.wire.onClose(resolve)))
        }
        idle.delete(key)
      }
      open.clear()
      for (const list of waiters.values()) for (const w of [...list]) w()
      // Each QUIT is answered, or its connection destroyed after the QUIT grace (wire.ts).
      await Promise.all(ended)
    },
  }
}
