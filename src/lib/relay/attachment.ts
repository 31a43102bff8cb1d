/**
 * A test attachment for [メール送信テスト]: a file the admin picks (a scan, a report) read as
 * base64, and the check against the relay's message limit *before* anything is uploaded, so an
 * over-size file is refused in the page with the limit named instead of a 413 after the upload.
 *
 * @module
 */
import type { Attachment } from '../contract/api.ts'

/**
 * The encoded size of a message carrying `bytes` of attachment: base64 (4/3) in 76-column lines
 * (+2/76 for CRLF), plus the headers and the text part (a generous 8 KiB).
 */
export function encodedSize(bytes: number): number {
  const base64 = Math.ceil(bytes / 3) * 4
  return base64 + Math.ceil(base64 / 76) * 2 + 8 * 1024
}

/** The largest file that fits a limit on the encoded message. */
export function largestFile(maxMessageBytes: number): number {
  const room = Math.max(0, maxMessageBytes - 8 * 1024)
  let n = Math.floor(((room * 76) / 78) * (3 / 4))
  // The estimate's rounding may be a few bytes over.
  while (n > 0 && encodedSize(n) > maxMessageBytes) n -= 1
  return n
}

/** Megabytes with one decimal, as shown next to the limit. */
export const megabytes = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1)

/** Base64 of a file's bytes, in chunks (a byte-by-byte string would be slow for MBs). */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  }
  return btoa(binary)
}

/** The contract's attachment for a picked file. */
export async function readAttachment(file: File): Promise<Attachment> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  return {
    filename: file.name,
    // A browser may report a type the contract's MIME-type grammar does not take (parameters).
    contentType: /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/.test(file.type)
      ? file.type
      : 'application/octet-stream',
    contentBase64: toBase64(bytes),
  }
}
