/**
 * Secrets at rest: AES-256-GCM through WebCrypto under one 32-byte key, from RELAY_SECRET_KEY
 * (base64) or generated at first start into `RELAY_DATA_DIR/secret.key` (mode 0600). Each value
 * is `v1.<base64 iv>.<base64 ciphertext+tag>` with a fresh 96-bit IV; the row's purpose is bound
 * as additional data, so a ciphertext copied into another column does not decrypt.
 *
 * The store keeps an encrypted check value: a key that cannot decrypt it is refused at start
 * with one line (`KeyError`), so a wrong key never surfaces later as a failing renewal.
 *
 * Also here: scrypt password hashes and SHA-256 digests for session and setup codes.
 *
 * @module
 */
import { randomBytes, scrypt, timingSafeEqual, createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const KEY_FILE = 'secret.key'

/** A key problem at start-up; `message` is the one line to print. */
export class KeyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KeyError'
  }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'))

/** Decodes RELAY_SECRET_KEY: base64 of exactly 32 bytes. */
export function parseKey(text: string, source: string): Uint8Array {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) {
    throw new KeyError(`${source}: expected base64 of 32 bytes (44 characters, e.g. from \`openssl rand -base64 32\`)`)
  }
  return unb64(trimmed)
}

export interface KeySource {
  /** RELAY_SECRET_KEY, when set. */
  envKey?: string
  dataDir: string
  /** Whether the store already holds secrets (a check value): then no new key is generated. */
  storeHasSecrets: boolean
}

/** The key bytes and where they came from (for the start-up line, never the key itself). */
export function loadKeyBytes(src: KeySource): { bytes: Uint8Array; origin: string; generated: boolean } {
  if (src.envKey !== undefined && src.envKey !== '') {
    return { bytes: parseKey(src.envKey, 'RELAY_SECRET_KEY'), origin: 'RELAY_SECRET_KEY', generated: false }
  }
  const file = join(src.dataDir, KEY_FILE)
  if (existsSync(file)) {
    return { bytes: parseKey(readFileSync(file, 'utf8'), file), origin: file, generated: false }
  }
  if (src.storeHasSecrets) {
    throw new KeyError(
      `RELAY_SECRET_KEY: the gateway's store holds secrets, but neither RELAY_SECRET_KEY nor ${file} is there; restore the key they were stored with`,
    )
  }
  const bytes = new Uint8Array(randomBytes(32))
  mkdirSync(src.dataDir, { recursive: true })
  writeFileSync(file, `${b64(bytes)}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  return { bytes, origin: file, generated: true }
}

/** Encrypts and decrypts short strings (secrets, tokens) under one AES-256-GCM key. */
export class SecretBox {
  readonly #key: CryptoKey
  private constructor(key: CryptoKey) {
    this.#key = key
  }

  static async fromBytes(bytes: Uint8Array): Promise<SecretBox> {
    const key = await crypto.subtle.importKey('raw', bytes as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt',
    ])
    return new SecretBox(key)
  }

  /** `purpose` (e.g. `mailbox:<id>:refresh`) must be given again to decrypt. */
  async seal(plain: string, purpose: string): Promise<string> {
    const iv = new Uint8Array(randomBytes(12))
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: new TextEncoder().encode(purpose) },
      this.#key,
      new TextEncoder().encode(plain),
    )
    return `v1.${b64(iv)}.${b64(new Uint8Array(ct))}`
  }

  /** Throws when the value was sealed under another key or purpose, or was altered. */
  async open(sealed: string, purpose: string): Promise<string> {
    const [version, iv, ct] = sealed.split('.')
    if (version !== 'v1' || !iv || !ct) throw new Error('not a sealed value')
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: unb64(iv), additionalData: new TextEncoder().encode(purpose) },
      this.#key,
      unb64(ct),
    )
    return new TextDecoder().decode(plain)
  }
}

export const CHECK_PURPOSE = 'key-check'
export const CHECK_VALUE = 'mailkey gateway key check v1'

// ---------------------------------------------------------------- hashes

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32, maxmem: 64 * 1024 * 1024 }
/**
 * The cost for secrets the relay generated itself (device passwords and API keys, over 110 bits
 * of randomness each): guessing them is hopeless at any cost, so the check is cheap (4 MiB, a few
 * ms) for a device that opens a new connection and authenticates for every scan. A password a
 * person chose (the admin's) keeps the full cost (32 MiB).
 */
const GENERATED_N = 1 << 12

/**
 * One scrypt computation at a time in this process. Each holds 128 · N · r bytes outside the JS
 * heap for its whole run (32 MiB at N = 2^15, 4 MiB at 2^12): Node runs up to four at once on its
 * thread pool, Deno one per call on its blocking pool, so ten devices authenticating together
 * held 130–320 MB at N = 2^15. Queued, they hold one; the CPU was the bound anyway.
 */
let scryptTail: Promise<unknown> = Promise.resolve()
/** Computations running now and the most ever at once (tests). */
export const scryptLoad = { running: 0, peak: 0 }

function scryptAsync(password: string, salt: Uint8Array, n: number, r: number, p: number, keylen: number) {
  const run = () => {
    scryptLoad.peak = Math.max(scryptLoad.peak, ++scryptLoad.running)
    return new Promise<Buffer>((resolve, reject) =>
      scrypt(password.normalize('NFC'), salt, keylen, { N: n, r, p, maxmem: SCRYPT.maxmem }, (err, key) => {
        scryptLoad.running--
        if (err) reject(err)
        else resolve(key)
      })
    )
  }
  const result = scryptTail.then(run, run)
  scryptTail = result.catch(() => undefined)
  return result
}

/**
 * `scrypt$N$r$p$<salt b64>$<hash b64>`; `secret: 'generated'` for a long random secret the relay
 * made (a cheaper N, see GENERATED_N). The cost is in the hash, so either verifies.
 */
export async function hashPassword(password: string, secret: 'chosen' | 'generated' = 'chosen'): Promise<string> {
  const salt = new Uint8Array(randomBytes(16))
  const n = secret === 'generated' ? GENERATED_N : SCRYPT.N
  const key = await scryptAsync(password, salt, n, SCRYPT.r, SCRYPT.p, SCRYPT.keylen)
  return ['scrypt', n, SCRYPT.r, SCRYPT.p, b64(salt), key.toString('base64')].join('$')
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$')
  if (kind !== 'scrypt' || !n || !r || !p || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const key = await scryptAsync(password, unb64(salt), Number(n), Number(r), Number(p), expected.length)
  return timingSafeEqual(key, expected)
}

/** SHA-256 hex: how session and setup codes are kept (they are long random values). */
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** Constant-time comparison of two strings' SHA-256 digests. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest())
}

/** A random URL-safe code of `bytes` bytes. */
export const randomCode = (bytes = 32) => randomBytes(bytes).toString('base64url')
