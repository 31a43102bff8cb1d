/**
 * The message as it goes on the wire: line ends normalised to CRLF, and for DATA dot-stuffed
 * and terminated (RFC 5321 §4.5.2), so that no body can end the message early or smuggle a
 * second one (bare CR or LF are never passed through; "SMTP smuggling", CVE-2023-51766 et al.).
 *
 * @module
 */

const CR = 13
const LF = 10
const DOT = 46

/**
 * `message` with every CRLF, bare CR and bare LF written as CRLF, and a final CRLF added when
 * missing (an empty message stays empty). This is the size announced in `SIZE=` and `BDAT`.
 */
export function normalizeLineEnds(message: Uint8Array): Uint8Array {
  return encode(message, false)
}

/**
 * The DATA payload: normalised like `normalizeLineEnds`, each line starting with `.` given
 * one more, then the terminating `.` CRLF.
 */
export function dotStuff(message: Uint8Array): Uint8Array {
  return encode(message, true)
}

function encode(message: Uint8Array, stuff: boolean): Uint8Array {
  const n = message.length
  // First pass: the exact output length, so the copy is one allocation.
  let size = 0
  let lineStart = true
  for (let i = 0; i < n; i++) {
    const b = message[i]
    if (b === CR) {
      if (message[i + 1] === LF) i++
      size += 2
      lineStart = true
    } else if (b === LF) {
      size += 2
      lineStart = true
    } else {
      if (stuff && lineStart && b === DOT) size++
      size++
      lineStart = false
    }
  }
  const needsFinal = n > 0 && !lineStart
  if (needsFinal) size += 2
  if (stuff) size += 3
  const out = new Uint8Array(size)
  let o = 0
  lineStart = true
  for (let i = 0; i < n; i++) {
    const b = message[i] as number
    if (b === CR || b === LF) {
      if (b === CR && message[i + 1] === LF) i++
      out[o++] = CR
      out[o++] = LF
      lineStart = true
    } else {
      if (stuff && lineStart && b === DOT) out[o++] = DOT
      out[o++] = b
      lineStart = false
    }
  }
  if (needsFinal) {
    out[o++] = CR
    out[o++] = LF
  }
  if (stuff) {
    out[o++] = DOT
    out[o++] = CR
    out[o++] = LF
  }
  return out
}
