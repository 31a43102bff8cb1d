/**
 * What the ingress changes in smtp-server's behaviour, per connection (no other smtp-server in
 * the process, such as the sandbox's, is touched). Each change names the device habit or the
 * reason it serves; each relies on smtp-server 3.21 internals (`init`, `_setListeners`,
 * `_createParser`, `send`), so the version is pinned and the tests exercise every one.
 *
 * @module
 */
import type { SMTPServer } from 'smtp-server'

export type Connection = SMTPServer['connections'] extends Set<infer C> ? C : never

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}( |$)/

/**
 * smtp-server's own reply texts, as a device panel should show them: short, with the standard
 * enhanced code (RFC 3463), no "Error:" prefix. Keyed by code and smtp-server's text.
 */
const REWORDED: Array<[number, RegExp, string]> = [
  [452, /too many recipients/i, '4.5.3 Too many recipients'],
  [552, /exceeds fixed maximum message size/i, '5.3.4 Message size exceeds fixed maximum message size'],
  [421, /^Timeout/i, '4.4.2 Idle timeout, closing connection'],
  [421, /Too many connected clients/i, '4.7.0 Too many connections, try again later'],
  [421, /too many unrecognized commands/i, '4.7.0 Too many unrecognized commands, closing connection'],
  [421, /Server shutting down/i, '4.3.2 Service shutting down, try again later'],
  [503, /send HELO\/EHLO first/i, '5.5.1 Send HELO or EHLO first'],
  [503, /need MAIL command/i, '5.5.1 Send MAIL FROM first'],
  [503, /need RCPT command/i, '5.5.1 Send RCPT TO first'],
  [503, /nested MAIL command/i, '5.5.1 Sender already given'],
  [503, /No identity changes permitted/i, '5.5.1 Already authenticated'],
  [504, /Unrecognized authentication type/i, '5.7.4 Unrecognized authentication type'],
  [538, /Must issue a STARTTLS command first/i, '5.7.11 Encryption required for requested authentication mechanism'],
  [501, /Bad sender address syntax/i, '5.1.7 Bad sender address syntax'],
  [501, /Bad recipient address syntax/i, '5.1.3 Bad recipient address syntax'],
]

export interface ConnectionAdaptation {
  /**
   * Rewrites a reply before smtp-server sends it (return undefined to keep it). `data` is
   * smtp-server's text, `context` the command or the enhanced-code context.
   */
  rewrite?: (code: number, data: string, context: string | false | undefined) => [number, string] | undefined
  /** Sees every reply actually sent (for the session log). */
  sent?: (code: number, text: string) => void
}

/**
 * Adapts one connection before smtp-server initialises it (call from a `connections.add` hook):
 *
 * 1. No 100 ms pause before the greeting. smtp-server waits that long to catch clients that talk
 *    before being greeted; a device never does, and the pause is paid by every scan (and every
 *    benchmark). The connection limit check of `init()` is kept.
 * 2. Bare LF is read as CRLF, in commands and in DATA. Real MFDs and scripts send bare-LF
 *    bodies, and some end DATA with `\n.\n`, which smtp-server would never see as the end
 *    (it waits for `\r\n.\r\n`). Converting every LF not preceded by CR before the parser
 *    sees it makes both work and stores the message with CRLF line ends, as RFC 5322 wants.
 *    (SMTP smuggling needs two parsers that disagree about the end of DATA; here there is one,
 *    and the queue re-encodes the stored bytes for delivery.)
 * 3. Replies reworded (`REWORDED`), and a text that already carries an enhanced code is sent
 *    as is instead of getting a second one.
 * 4. EHLO also lists `AUTH=…`, the form some pre-RFC 4954 clients look for.
 */
export function adaptConnection(connection: Connection, adaptation: ConnectionAdaptation = {}): void {
  const c = connection
  c.init = function initWithoutPause() {
    c._setListeners(() => {
      const max = c._server.options.maxClients
      if (max && c._server.connections.size > max) {
        return c.send(421, c.name + ' Too many connected clients, try again in a moment', false)
      }
      c.connectionReady()
    })
  }

  normaliseLineEnds(c._parser)
  const createParser = c._createParser.bind(c)
  c._createParser = () => {
    const parser = createParser()
    normaliseLineEnds(parser)
    return parser
  }

  const send = c.send.bind(c)
  c.send = (code, data, context) => {
    let text = Array.isArray(data) ? undefined : String(data ?? '')
    if (text !== undefined) {
      const own = adaptation.rewrite?.(code, text, context)
      if (own) {
        ;[code, text] = own
      } else {
        const hit = REWORDED.find(([c2, re]) => c2 === code && re.test(text ?? ''))
        if (hit) text = hit[2]
        else text = text.replace(/^Error: /, '')
      }
      adaptation.sent?.(code, text)
      return send(code, text, ENHANCED.test(text) ? false : context)
    }
    // The EHLO reply. Some old clients only read the pre-RFC 2554 form `AUTH=LOGIN PLAIN`, so
    // it is listed as well (as Postfix does with broken_sasl_auth_clients).
    const lines = (data as string[]).flatMap((l) => (/^AUTH /.test(l) ? [l, l.replace(/^AUTH /, 'AUTH=')] : [l]))
    adaptation.sent?.(code, lines[0] ?? '')
    return send(code, lines, context)
  }
}

const LF = 0x0a
const CR = 0x0d

/** Makes `parser` see CRLF wherever its input has a bare LF (state kept across chunks). */
function normaliseLineEnds(parser: Connection['_parser']): void {
  if (!parser) return
  let lastWasCr = false
  const write = parser.write.bind(parser)
  parser.write = ((chunk: unknown, ...rest: unknown[]) => {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), 'binary')
    const out = toCrlf(buf, lastWasCr)
    if (buf.length > 0) lastWasCr = buf[buf.length - 1] === CR
    return (write as (c: Buffer, ...r: unknown[]) => boolean)(out, ...rest)
  }) as typeof parser.write
}

const CRLF = Buffer.from('\r\n')

/**
 * `buf` with every LF that does not follow a CR turned into CRLF (`lastWasCr`: the byte before
 * `buf` was a CR). Jumps from LF to LF with the native `indexOf`: a 35 MB scan must not be
 * walked byte by byte in JavaScript.
 */
export function toCrlf(buf: Buffer, lastWasCr = false): Buffer {
  const bare: number[] = []
  for (let at = buf.indexOf(LF); at >= 0; at = buf.indexOf(LF, at + 1)) {
    if (!(at === 0 ? lastWasCr : buf[at - 1] === CR)) bare.push(at)
  }
  if (bare.length === 0) return buf
  const parts: Buffer[] = []
  let from = 0
  for (const at of bare) {
    parts.push(buf.subarray(from, at), CRLF)
    from = at + 1
  }
  parts.push(buf.subarray(from))
  return Buffer.concat(parts, buf.length + bare.length)
}
