/**
 * A scripted SMTP client on a raw socket, driven like an old MFD: the test writes exact lines
 * (or exact bytes: bare LF, 8-bit, pipelined batches) and reads the server's replies whole.
 * No SMTP library: what the test writes is what goes on the wire.
 *
 * @example
 * const c = await MfdClient.connect(port)
 * expect(await c.reply()).toMatch(/^220 /)
 * expect(await c.cmd('HELO scanner')).toBe('250 relay Hello [127.0.0.1]')
 *
 * @module
 */
import net from 'node:net'
import tls from 'node:tls'

export interface MfdTlsOptions {
  minVersion?: tls.SecureVersion
  maxVersion?: tls.SecureVersion
  ciphers?: string
  /** The CA to verify the server with; without it the certificate is not checked (as MFDs do). */
  ca?: string
}

const clientTls = (o: MfdTlsOptions): tls.ConnectionOptions => ({
  ...(o.minVersion && { minVersion: o.minVersion }),
  ...(o.maxVersion && { maxVersion: o.maxVersion }),
  ...(o.ciphers && { ciphers: o.ciphers }),
  ...(o.ca ? { ca: o.ca, servername: 'localhost' } : { rejectUnauthorized: false }),
})

export class MfdClient {
  #socket: net.Socket
  #buffer = ''
  #lines: string[] = []
  #waiting: (() => void) | undefined
  #closed = false
  readonly closed: Promise<void>

  private constructor(socket: net.Socket) {
    this.#socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    this.#listen(socket)
  }

  /** Connects to 127.0.0.1:`port`; with `implicitTls`, in TLS from the first byte (port 465 style). */
  static connect(port: number, implicitTls?: MfdTlsOptions): Promise<MfdClient> {
    return new Promise((resolve, reject) => {
      const socket = implicitTls
        ? tls.connect({ port, host: '127.0.0.1', ...clientTls(implicitTls) })
        : net.connect(port, '127.0.0.1')
      socket.once(implicitTls ? 'secureConnect' : 'connect', () => {
        socket.removeListener('error', reject)
        resolve(new MfdClient(socket))
      })
      socket.once('error', reject)
    })
  }

  #listen(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('latin1')
      let i: number
      while ((i = this.#buffer.indexOf('\n')) >= 0) {
        this.#lines.push(this.#buffer.slice(0, i).replace(/\r$/, ''))
        this.#buffer = this.#buffer.slice(i + 1)
      }
      this.#waiting?.()
    })
    socket.on('error', () => undefined)
    socket.once('close', () => {
      this.#closed = true
      this.#waiting?.()
    })
  }

  /** The next complete reply, its lines joined with `\n`; '' when the server closed instead. */
  async reply(): Promise<string> {
    const lines: string[] = []
    for (;;) {
      const line = this.#lines.shift()
      if (line === undefined) {
        if (this.#closed) return lines.join('\n')
        await new Promise<void>((resolve) => (this.#waiting = resolve))
        this.#waiting = undefined
        continue
      }
      lines.push(line)
      if (/^\d{3}(?: |$)/.test(line)) return lines.join('\n')
    }
  }

  /** Writes exact bytes (no line end added). */
  write(bytes: string | Buffer): void {
    this.#socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes)
  }

  /** Sends one command line (CRLF added) and returns the reply. */
  cmd(line: string): Promise<string> {
    this.write(line + '\r\n')
    return this.reply()
  }

  /** STARTTLS on this connection (after its 220); resolves with the negotiated protocol. */
  async startTls(o: MfdTlsOptions = {}): Promise<string> {
    const plain = this.#socket
    plain.removeAllListeners('data')
    const secure = tls.connect({ socket: plain, ...clientTls(o) })
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve())
      secure.once('error', reject)
    })
    this.#socket = secure
    this.#listen(secure)
    return secure.getProtocol() ?? ''
  }

  /** The negotiated TLS protocol, or null on a plain connection. */
  protocol(): string | null {
    return this.#socket instanceof tls.TLSSocket ? this.#socket.getProtocol() : null
  }

  close(): void {
    this.#socket.destroy()
  }
}

/** base64 of a UTF-8 string, as AUTH lines carry it. */
export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
