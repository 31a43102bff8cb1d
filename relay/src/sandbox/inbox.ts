/**
 * The sandbox's inbox: every message the SMTP server accepted, newest first, bounded, and also
 * written as `.eml` files under `<dataDir>/sandbox/inbox/` (reloaded at start), each with its
 * SMTP envelope (MAIL FROM, RCPT TO, AUTH user) beside it as `.json`: Bcc recipients exist
 * only there.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser'

export interface AttachmentInfo {
  index: number
  filename: string
  contentType: string
  size: number
}

export interface StoredMessage {
  id: string
  receivedAt: string
  envelope: { from: string; to: string[]; user: string }
  messageId?: string
  subject: string
  from: string
  to: string[]
  cc: string[]
  date?: string
  text: string
  html?: string
  attachments: AttachmentInfo[]
  size: number
}

interface Entry {
  summary: StoredMessage
  raw: Buffer
  parsed: ParsedMail
  file: string
}

/** Most messages kept; older ones (and their files) are dropped. */
export const INBOX_LIMIT = 200

const envelopeFile = (emlFile: string) => emlFile.replace(/\.eml$/, '.envelope.json')

/** The envelope saved beside a message, or an empty one (older files, unreadable JSON). */
async function readEnvelope(path: string): Promise<StoredMessage['envelope']> {
  try {
    const e = JSON.parse(await readFile(path, 'utf8')) as Partial<StoredMessage['envelope']>
    const text = (v: unknown) => (typeof v === 'string' ? v : '')
    const to = Array.isArray(e.to) ? e.to.filter((a): a is string => typeof a === 'string') : []
    return { from: text(e.from), to, user: text(e.user) }
  } catch {
    return { from: '', to: [], user: '' }
  }
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  return ([] as AddressObject[]).concat(value ?? []).flatMap((a) =>
    a.value.map((m) => (m.name ? `${m.name} <${m.address ?? ''}>` : (m.address ?? '')))
  )
}

async function summarize(
  id: string,
  raw: Buffer,
  receivedAt: string,
  envelope: StoredMessage['envelope'],
) {
  const parsed = await simpleParser(raw, { skipImageLinks: true })
  const summary: StoredMessage = {
    id,
    receivedAt,
    envelope,
    ...(parsed.messageId ? { messageId: parsed.messageId } : {}),
    subject: parsed.subject ?? '',
    from: addresses(parsed.from)[0] ?? '',
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    ...(parsed.date ? { date: parsed.date.toISOString() } : {}),
    text: parsed.text ?? '',
    ...(typeof parsed.html === 'string' ? { html: parsed.html } : {}),
    attachments: parsed.attachments.map((a, index) => ({
      index,
      filename: a.filename ?? `attachment-${index + 1}`,
      contentType: a.contentType,
      size: a.size,
    })),
    size: raw.length,
  }
  return { summary, parsed }
}

export class Inbox {
  readonly dir: string
  readonly #entries: Entry[] = []
  #lastStamp = 0

  constructor(dir: string) {
    this.dir = dir
  }

  /** Loads the newest `.eml` files written by earlier runs. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.eml')).sort().reverse()
    for (const file of files.slice(0, INBOX_LIMIT)) {
      try {
        const raw = await readFile(join(this.dir, file))
        // `<time>_<id>.eml`; the ID is base64url and may itself hold `_`.
        const name = file.replace(/\.eml$/, '')
        const cut = name.indexOf('_')
        const stamp = Number(name.slice(0, cut))
        this.#lastStamp = Math.max(this.#lastStamp, stamp)
        const receivedAt = new Date(stamp).toISOString()
        const envelope = await readEnvelope(join(this.dir, envelopeFile(file)))
        const { summary, parsed } = await summarize(name.slice(cut + 1), raw, receivedAt, envelope)
        this.#entries.push({ summary, raw, parsed, file })
      } catch {
        // A file that does not parse is left alone; the inbox is a convenience.
      }
    }
  }

  async add(raw: Buffer, envelope: StoredMessage['envelope']): Promise<StoredMessage> {
    // Strictly increasing, so file names keep the arrival order within a millisecond too.
    const now = Math.max(Date.now(), this.#lastStamp + 1)
    this.#lastStamp = now
    const id = randomBytes(9).toString('base64url')
    const { summary, parsed } = await summarize(id, raw, new Date(now).toISOString(), envelope)
    // Zero-padded time first: file names sort by arrival.
    const file = `${String(now).padStart(15, '0')}_${id}.eml`
    await writeFile(join(this.dir, envelopeFile(file)), JSON.stringify(envelope))
    await writeFile(join(this.dir, file), raw)
    this.#entries.unshift({ summary, raw, parsed, file })
    for (const old of this.#entries.splice(INBOX_LIMIT)) await this.#remove(old.file)
    return summary
  }

  async #remove(file: string): Promise<void> {
    for (const name of [file, envelopeFile(file)]) {
      await unlink(join(this.dir, name)).catch(() => undefined)
    }
  }

  list(): StoredMessage[] {
    return this.#entries.map((e) => e.summary)
  }

  get(id: string): { summary: StoredMessage; raw: Buffer; parsed: ParsedMail } | undefined {
    return this.#entries.find((e) => e.summary.id === id)
  }

  async clear(): Promise<void> {
    for (const entry of this.#entries.splice(0)) await this.#remove(entry.file)
  }
}
