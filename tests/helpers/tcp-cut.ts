/**
 * A loopback TCP relay in front of a real server that can cut its connections the way a
 * middlebox or a crashed server does: `cut()` closes the server's side of every connection now
 * open, while the client's side stays up and learns of it only when it next writes (its bytes
 * are met by a TCP reset). Connections made after the cut pass through as usual.
 *
 * @example
 * const cutter = await startTcpCut(peer.port)
 * ... a client connects to cutter.port and keeps its connection ...
 * cutter.cut()
 * ... the client's next write fails with ECONNRESET ...
 * await cutter.close()
 *
 * @module
 */
import net from 'node:net'

export interface TcpCut {
  port: number
  /** Connections accepted so far. */
  readonly accepted: number
  /** Client writes that met a cut connection (and were answered with a reset). */
  readonly resets: number
  cut(): void
  close(): Promise<void>
}

export async function startTcpCut(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpCut> {
  const sockets = new Set<net.Socket>()
  const live = new Set<() => void>()
  let accepted = 0
  let resets = 0
  const server = net.createServer((client) => {
    accepted++
    const upstream = net.connect(targetPort, targetHost)
    let severed = false
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {})
    }
    const sever = () => {
      severed = true
      upstream.destroy()
    }
    live.add(sever)
    client.on('data', (chunk: Buffer) => {
      if (!severed) {
        upstream.write(chunk)
        return
      }
      resets++
      client.resetAndDestroy()
    })
    upstream.on('data', (chunk: Buffer) => client.write(chunk))
    // A close the server makes on its own (not a cut) reaches the client as usual.
    upstream.on('close', () => {
      live.delete(sever)
      if (!severed) client.end()
    })
    client.on('close', () => {
      live.delete(sever)
      upstream.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    port,
    get accepted() {
      return accepted
    },
    get resets() {
      return resets
    },
    cut() {
      for (const sever of [...live]) sever()
      live.clear()
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
