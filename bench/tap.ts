/**
 * A loopback TCP proxy that delays each direction by a fixed time and records when each side
 * wrote, so round trips can be counted without reading the (encrypted) bytes.
 *
 * A round trip is a client *flight*: a client write made after server data reached the client
 * (the greeting included) since its previous write, i.e. a write the client may have waited
 * for. Writes made before any new answer arrived, such as a pipelined group, or the TLS
 * Finished followed by EHLO while the server's session tickets are still on the way, join the
 * flight they follow. "Reached" is when the tap wrote the bytes to the client, after its delay,
 * so with a delay of a few milliseconds the grouping does not depend on how fast either side
 * runs.
 *
 * @module
 */
import net from 'node:net'

export interface TapEvent {
  /** `performance.now()` when the tap received the bytes (before its delay). */
  t: number
  conn: number
  dir: 'C' | 'S'
  /** Whether this client write starts a new flight. */
  flight: boolean
  /** For server writes: when the tap handed them to the client (after its delay). */
  deliveredAt?: number
}

export interface Tap {
  port: number
  delayMs: number
  events: TapEvent[]
  /**
   * The tap time of the last server write the client can have read by `clientTime`: the
   * server's answer that ended a send resolved at `clientTime`.
   */
  lastServerWriteBefore(clientTime: number): number
  /** Client flights in [from, to), on connections opened at or after `from` when `newOnly`. */
  flights(from: number, to: number, newOnly?: boolean): number
  close(): Promise<void>
}

export async function startTap(
  target: { host: string; port: number },
  delayMs: number
): Promise<Tap> {
  const events: TapEvent[] = []
  const sockets = new Set<net.Socket>()
  let connections = 0
  const openedAt: number[] = []

  const server = net.createServer((client) => {
    const conn = ++connections
    openedAt[conn] = performance.now()
    // When the client last wrote, and when the tap last handed server bytes to the client.
    let lastClientWrite = -Infinity
    let lastDelivery = -Infinity
    const upstream = net.connect(target.port, target.host)
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    }
    const pipe = (from: net.Socket, to: net.Socket, dir: 'C' | 'S') => {
      from.on('data', (chunk: Buffer) => {
        const t = performance.now()
        const flight = dir === 'C' && lastDelivery > lastClientWrite
        const event: TapEvent = { t, conn, dir, flight }
        if (dir === 'C') lastClientWrite = t
        events.push(event)
        later(() => {
          if (dir === 'S') lastDelivery = event.deliveredAt = performance.now()
          to.write(chunk)
        })
      })
      from.on('end', () => later(() => to.end()))
      from.on('error', () => later(() => to.destroy()))
      from.on('close', () => later(() => to.destroy()))
    }
    // Node fires timers of the same duration in the order they were set: bytes keep their order.
    const later = (fn: () => void) => (delayMs > 0 ? setTimeout(fn, delayMs) : fn())
    pipe(client, upstream, 'C')
    pipe(upstream, client, 'S')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as net.AddressInfo

  return {
    port: address.port,
    delayMs,
    events,
    lastServerWriteBefore(clientTime) {
      let found = -Infinity
      for (const e of events) {
        if (e.deliveredAt !== undefined && e.deliveredAt <= clientTime) found = e.t
      }
      return found
    },
    flights(from, to, newOnly = false) {
      const counted = (e: TapEvent) => !newOnly || (openedAt[e.conn] ?? -Infinity) >= from
      return events.filter((e) => e.flight && e.t >= from && e.t < to && counted(e)).length
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
