/**
 * Reads SMTP replies (RFC 5321 §4.2) from a byte stream that may split them anywhere.
 *
 * @module
 */
import type { Reply } from './types.ts'

/** Longest reply line accepted, CRLF excluded (RFC 5321 §4.5.3.1.5 allows 512; we are lenient). */
export const MAX_LINE_BYTES = 4096
/** Most lines in one reply; EHLO replies hold a couple of dozen at most. */
export const MAX_REPLY_LINES = 100

/** A reply that breaks the grammar or the caps above. */
export class ReplyFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ReplyFormatError'
  }
}

const LINE = /^([2-5]\d\d)(?:([ -])(.*))?$/s
// RFC 3463 / RFC 2034: class.subject.detail, class matching the reply's first digit.
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/

const decoder = new TextDecoder('utf-8')

/**
 * Feed bytes with `push`; it returns the replies completed by them. `onLine` sees every server
 * line as it is read (for the transcript). Throws `ReplyFormatError` on malformed input.
 */
export class ReplyReader {
  #pending: Uint8Array = new Uint8Array(0)
  #code = 0
  #lines: string[] = []
  #onLine: ((line: string) => void) | undefined

  constructor(onLine?: (line: string) => void) {
    this.#onLine = onLine
  }

  /** True when part of a line or of a multi-line reply has been read but not completed. */
  get hasPartial(): boolean {
    return this.#pending.length > 0 || this.#lines.length > 0
  }

  push(chunk: Uint8Array): Reply[] {
    const data = this.#pending.length ? concat(this.#pending, chunk) : chunk
    const replies: Reply[] = []
    let start = 0
    for (let lf = data.indexOf(10, start); lf !== -1; lf = data.indexOf(10, start)) {
      // A bare LF is accepted as a line end; a CR before it is dropped.
      const end = lf > start && data[lf - 1] === 13 ? lf - 1 : lf
      if (end - start > MAX_LINE_BYTES) throw new ReplyFormatError('reply line longer than 4 KiB')
      const reply = this.#line(decoder.decode(data.subarray(start, end)))
      if (reply) replies.push(reply)
      start = lf + 1
    }
    this.#pending = data.slice(start)
    if (this.#pending.length > MAX_LINE_BYTES + 1) {
      throw new ReplyFormatError('reply line longer than 4 KiB')
    }
    return replies
  }

  #line(line: string): Reply | undefined {
    this.#onLine?.(line)
    const m = LINE.exec(line)
    if (!m) throw new ReplyFormatError(`malformed reply line: ${shown(line)}`)
    const code = Number(m[1])
    if (this.#lines.length > 0 && code !== this.#code) {
      throw new ReplyFormatError(
        `reply code changed within a multi-line reply (${this.#code} then ${code})`
      )
    }
    this.#code = code
    this.#lines.push(m[3] ?? '')
    if (this.#lines.length > MAX_REPLY_LINES) {
      throw new ReplyFormatError('reply longer than 100 lines')
    }
    if (m[2] === '-') return undefined
    const reply = toReply(code, this.#lines)
    this.#lines = []
    return reply
  }
}

/** Longest part of a bad line quoted in an error message. */
const SHOWN_CHARS = 40

/**
 * A bad line as an error message may quote it: printable ASCII only (anything else, binary
 * garbage included, shows as `?`, a run of it as one), at most 40 characters, and said to be
 * binary when most of it was not text.
 */
export function shown(line: string): string {
  const printable = line.replace(/[^\x20-\x7e]+/g, '?')
  const cut = printable.length > SHOWN_CHARS ? `${printable.slice(0, SHOWN_CHARS)}…` : printable
  const text = line.replace(/[^\x20-\x7e]/g, '').length
  return text * 2 < line.length ? `not text (${line.length} characters)` : `"${cut}"`
}

/** Splits the enhanced status code off each line when the first line carries one. */
function toReply(code: number, lines: string[]): Reply {
  const first = ENHANCED.exec(lines[0] ?? '')
  if (!first || first[1] !== String(code)[0]) return { code, lines }
  const enhanced = `${first[1]}.${first[2]}.${first[3]}`
  const strip = (l: string) => (l.startsWith(enhanced) ? l.slice(enhanced.length).trimStart() : l)
  return { code, enhanced, lines: lines.map(strip) }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
