/**
 * Per-address guards of the SMTP ingress: how many connections an address holds at once, and a
 * growing delay before each failed AUTH is answered (so guessing device passwords is slow while
 * a device that typed its password wrong once barely notices).
 *
 * @module
 */

/** Counts open connections per client address. */
export class ConnectionCounter {
  readonly #open = new Map<string, number>()
  readonly max: number

  constructor(max: number) {
    this.max = max
  }

  /** Takes a slot for `address`; false when it already holds `max` connections. */
  acquire(address: string): boolean {
    const n = this.#open.get(address) ?? 0
    if (n >= this.max) return false
    this.#open.set(address, n + 1)
    return true
  }

  release(address: string): void {
    const n = (this.#open.get(address) ?? 1) - 1
    if (n > 0) this.#open.set(address, n)
    else this.#open.delete(address)
  }

  count(address: string): number {
    return this.#open.get(address) ?? 0
  }
}

export interface AuthThrottleOptions {
  /** Delay after the first failure (ms); doubled with each further failure. */
  baseDelayMs?: number
  /** The longest delay (ms). */
  maxDelayMs?: number
  /** Failures older than this are forgotten (ms). */
  forgetAfterMs?: number
  /** Addresses remembered at most (the oldest are dropped first). */
  maxAddresses?: number
}

/**
 * Failed AUTH attempts per address. The delay before the n-th failure is answered is
 * `base × 2^(n−1)`, capped, so a guesser gets a handful of tries a minute per address.
 */
export class AuthThrottle {
  readonly #failures = new Map<string, { count: number; last: number }>()
  readonly #base: number
  readonly #max: number
  readonly #forget: number
  readonly #maxAddresses: number

  constructor({
    baseDelayMs = 500,
    maxDelayMs = 15_000,
    forgetAfterMs = 15 * 60_000,
    maxAddresses = 10_000,
  }: AuthThrottleOptions = {}) {
    this.#base = baseDelayMs
    this.#max = maxDelayMs
    this.#forget = forgetAfterMs
    this.#maxAddresses = maxAddresses
  }

  /** Records a failure for `address` and returns how long to wait before answering it. */
  fail(address: string, now = Date.now()): number {
    const count = this.failures(address, now) + 1
    this.#failures.delete(address) // re-inserted last: the Map's order is the age order
    this.#failures.set(address, { count, last: now })
    while (this.#failures.size > this.#maxAddresses) {
      const oldest = this.#failures.keys().next().value
      if (oldest === undefined) break
      this.#failures.delete(oldest)
    }
    return this.delayFor(count)
  }

  /** Recent failures of `address` (0 once they are older than `forgetAfterMs`). */
  failures(address: string, now = Date.now()): number {
    const entry = this.#failures.get(address)
    if (!entry) return 0
    if (now - entry.last > this.#forget) {
      this.#failures.delete(address)
      return 0
    }
    return entry.count
  }

  /** The delay for the `count`-th failure in a row. */
  delayFor(count: number): number {
    if (count <= 0) return 0
    return Math.min(this.#max, this.#base * 2 ** Math.min(count - 1, 30))
  }
}
