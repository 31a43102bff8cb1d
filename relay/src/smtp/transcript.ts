/**
 * The session as the user may see it: server lines, client lines with every credential
 * replaced by `****`, and the message body only as its size.
 *
 * @module
 */
import type { Reply, TranscriptLine } from './types.ts'

/** Shorter secrets are not scrubbed from free text: they would mangle ordinary words. */
const MIN_SCRUB_LENGTH = 6

export class Transcript {
  readonly lines: TranscriptLine[] = []
  #secrets: string[]

  /**
   * `secrets` are scrubbed from every line as a second line of defence (a server could echo a
   * token back); callers still pass already-redacted client lines.
   */
  constructor(secrets: string[] = []) {
    this.#secrets = secrets.filter((s) => s.length >= MIN_SCRUB_LENGTH)
  }

  server(line: string): void {
    this.lines.push({ dir: 'S', line: this.scrub(line) })
  }

  client(line: string): void {
    this.lines.push({ dir: 'C', line: this.scrub(line) })
  }

  /** Something the engine did that is not a protocol line (TLS established, reuse). */
  info(line: string): void {
    this.lines.push({ dir: 'I', line: this.scrub(line) })
  }

  /** `text` with every known secret replaced by `****`. */
  scrub(text: string): string {
    let out = text
    for (const secret of this.#secrets) out = out.split(secret).join('****')
    return out
  }

  /** `reply` with every known secret scrubbed from its text. */
  scrubReply(reply: Reply): Reply {
    if (this.#secrets.length === 0) return reply
    return { ...reply, lines: reply.lines.map((l) => this.scrub(l)) }
  }

  snapshot(): TranscriptLine[] {
    return this.lines.slice()
  }
}
