/**
 * The measurements: round trips and latency per send through the tap, and sends per second.
 * Every loop is bounded by a count; nothing here decides by wall-clock time.
 *
 * @module
 */
import type { Sender } from './senders.ts'
import type { Tap } from './tap.ts'

export interface Sample {
  /** Client round trips on the send's critical path (see tap.ts). */
  roundTrips: number
  latencyMs: number
  usedBdat?: boolean
  /** Whether the send's new connection resumed a TLS session (ours only). */
  resumedTls?: boolean
}

/**
 * Sends `n` messages one after another through `tap`. Cold (`reuse` false): each send opens its
 * own connection, and its round trips are the flights on it up to the server's final answer (a
 * QUIT sent after that answer is off the critical path and not counted, nor is the previous
 * connection's). Warm: one
 * send first to open the connection, then each send's round trips are the flights since the
 * previous send's final answer (an RSET sent between messages counts).
 */
export async function throughTap(
  tap: Tap,
  sender: Sender,
  n: number,
  reuse: boolean
): Promise<Sample[]> {
  const samples: Sample[] = []
  let previousEnd = -Infinity
  if (reuse) {
    await sender.send()
    previousEnd = tap.lastServerWriteBefore(performance.now())
  }
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    const { usedBdat, resumedTls } = await sender.send()
    const end = performance.now()
    const finalAnswer = tap.lastServerWriteBefore(end)
    const roundTrips = reuse
      ? tap.flights(previousEnd, finalAnswer)
      : tap.flights(start, finalAnswer, true)
    previousEnd = finalAnswer
    const sample: Sample = { roundTrips, latencyMs: end - start }
    if (usedBdat !== undefined) sample.usedBdat = usedBdat
    if (resumedTls !== undefined) sample.resumedTls = resumedTls
    samples.push(sample)
  }
  return samples
}

/** Sends `total` messages with `concurrency` sends in flight; returns sends per second. */
export async function sendsPerSecond(
  sender: Sender,
  total: number,
  concurrency: number
): Promise<number> {
  let next = 0
  const start = performance.now()
  const worker = async () => {
    while (next < total) {
      next++
      await sender.send()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return total / ((performance.now() - start) / 1000)
}

export function median(values: number[]): number {
  return quantile(values, 0.5)
}

/** Nearest-rank quantile (p95 of 40 samples is the 38th smallest). */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  if (q === 0.5 && sorted.length % 2 === 0) {
    return ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2
  }
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}
