/**
 * Free TCP ports on loopback, for tests that must tell a child process where to listen.
 * (In-process servers should listen on port 0 instead and read the port back.)
 *
 * @module
 */
import { createServer } from 'node:net'

/** A port that was free on `host` a moment ago: listen on 0, read the port, close. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('no port assigned'))
        return
      }
      server.close(() => resolve(address.port))
    })
  })
}
