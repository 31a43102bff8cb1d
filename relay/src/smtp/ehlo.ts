/**
 * The server's EHLO reply parsed once into a map of extensions (RFC 5321 §4.1.1.1).
 *
 * @module
 */
import type { Reply } from './types.ts'

const KEYWORD = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/

/** Extension keywords upper-cased, each with its parameters. */
export class Extensions {
  readonly #map: Map<string, string[]>

  constructor(map: Map<string, string[]> = new Map()) {
    this.#map = map
  }

  /** Parses an EHLO reply; the first line is the server's greeting, not an extension. */
  static parse(reply: Reply): Extensions {
    const map = new Map<string, string[]>()
    for (const line of reply.lines.slice(1)) {
      const m = KEYWORD.exec(line.trim())
      if (!m || !m[1]) continue
      const keyword = m[1].toUpperCase()
      const params = (m[2] ?? '').split(/\s+/).filter(Boolean)
      // Old servers advertise `AUTH=LOGIN PLAIN` besides or instead of `AUTH LOGIN PLAIN`;
      // fold both into AUTH (as Python's smtplib does).
      const old = map.get(keyword) ?? []
      map.set(keyword, [...old, ...params.filter((p) => !old.includes(p))])
    }
    return new Extensions(map)
  }

  has(keyword: string): boolean {
    return this.#map.has(keyword.toUpperCase())
  }

  /** Offered SASL mechanisms, upper-cased. */
  get authMechanisms(): string[] {
    return (this.#map.get('AUTH') ?? []).map((m) => m.toUpperCase())
  }

  /** RFC 1870 SIZE limit in bytes; undefined when not offered or 0 (no fixed limit). */
  get sizeLimit(): number | undefined {
    const value = Number(this.#map.get('SIZE')?.[0] ?? 0)
    return Number.isSafeInteger(value) && value > 0 ? value : undefined
  }

  get keywords(): string[] {
    return [...this.#map.keys()]
  }
}
