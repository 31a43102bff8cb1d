/**
 * One mail transaction on a ready session (RFC 5321 §3.3): MAIL, RCPT for each recipient, then
 * DATA or BDAT (RFC 3030). With PIPELINING (RFC 2920) the envelope and DATA, or the envelope
 * and the whole BDAT chunk, go in one write, so the message costs two round trips with DATA and
 * one with CHUNKING (on a kept connection, see `releaseFinalReply` for large messages).
 *
 * @module
 */
import { dotStuff, normalizeLineEnds } from './body.ts'
import type { Outgoing, Session } from './client.ts'
import type { Reply } from './types.ts'

export interface TransactionInput {
  from: string
  to: string[]
  message: Uint8Array
  eightBit?: boolean | undefined
  smtpUtf8?: boolean | undefined
  /** Send RSET first (a reused connection), pipelined when the server allows it. */
  reset: boolean
  /** Send QUIT with the last flight (not awaited). */
  quit: boolean
}

export interface TransactionResult {
  accepted: string[]
  rejected: { address: string; reply: Reply }[]
  final: Reply
}

const ok = (reply: Reply) => reply.code >= 200 && reply.code < 300

export async function transact(
  session: Session,
  input: TransactionInput
): Promise<TransactionResult> {
  const { ext } = session
  const body = normalizeLineEnds(input.message)
  const size = body.length
  const limit = ext.sizeLimit
  // RFC 1870 §6: a client should not send a message larger than the advertised SIZE.
  if (limit !== undefined && size > limit) {
    throw session.fail(
      'mail',
      'unavailable',
      `the message is ${size} bytes, the server accepts at most ${limit} (SIZE)`
    )
  }
  if (input.smtpUtf8 && !ext.has('SMTPUTF8')) {
    throw session.fail(
      'mail',
      'unavailable',
      'the addresses need SMTPUTF8, which the server does not offer'
    )
  }
  const params: string[] = []
  if (ext.has('SIZE')) params.push(`SIZE=${size}`)
  // BODY=8BITMIME only when needed and offered (RFC 6152); SMTPUTF8 only when needed (RFC 6531).
  if (input.eightBit && ext.has('8BITMIME')) params.push('BODY=8BITMIME')
  else if (input.eightBit) {
    session.transcript.info(
      'the server does not offer 8BITMIME; sending the 8-bit message as it is'
    )
  }
  if (input.smtpUtf8) params.push('SMTPUTF8')
  const mail = ['MAIL FROM:<' + input.from + '>', ...params].join(' ')
  const rcpts = input.to.map((address) => `RCPT TO:<${address}>`)
  const chunking = ext.has('CHUNKING')
  const pipelining = ext.has('PIPELINING')
  const bdat = `BDAT ${size} LAST`
  const bodyLog = `<message body, ${size} bytes>`
  // RFC 3030: BDAT is length-delimited, so no dot-stuffing; the line ends are still normalised.
  const chunk: Outgoing[] = [bdat, { bytes: body, log: [bodyLog] }, ...(input.quit ? ['QUIT'] : [])]
  // Made only when used: stuffing copies the message.
  const dataBody = (): Outgoing[] => [
    { bytes: dotStuff(input.message), log: [bodyLog, '.'] },
    ...(input.quit ? ['QUIT'] : []),
  ]

  let mailReply: Reply | undefined
  const rcptReplies: Reply[] = []
  const envelopeAccepted = () => ok(mailReply as Reply) && rcptReplies.some(ok)
  /** The envelope's outcome; throws when MAIL or every RCPT was refused. */
  const verdict = () => {
    if (mailReply && !ok(mailReply)) throw session.refused('mail', mail, mailReply)
    const accepted: string[] = []
    const rejected: { address: string; reply: Reply }[] = []
    rcptReplies.forEach((reply, i) => {
      const address = input.to[i] as string
      if (ok(reply)) accepted.push(address)
      else rejected.push({ address, reply })
    })
    const first = rejected[0]
    if (accepted.length === 0 && first && rejected.length === rcpts.length) {
      const which = rejected.length === 1
        ? `RCPT TO:<${first.address}>`
        : `all ${rejected.length} recipients`
      throw session.refused('rcpt', which, first.reply)
    }
    return { accepted, rejected }
  }
  let last: Reply
  // An RSET begun after the previous message on this connection (`releaseFinalReply`) stands
  // in for this message's: this flight's first bytes end its line, its reply is read first, and
  // no second RSET is sent.
  const owed = session.resetOwed
  session.resetOwed = false
  const sendReset = input.reset && !owed
  const readReset = async () => {
    const reset = await session.read('mail', 'RSET')
    if (!ok(reset)) throw session.refused('mail', 'RSET', reset)
  }
  try {
    if (pipelining) {
      // RFC 2920 §3.1: RSET, MAIL and RCPT may be followed by more commands; DATA and BDAT LAST
      // end a group. The replies come back in order.
      session.send([
        ...(sendReset ? ['RSET'] : []),
        mail,
        ...rcpts,
        ...(chunking ? chunk : ['DATA']),
      ])
      if (sendReset || owed) await readReset()
      mailReply = await session.read('mail', mail)
      for (const rcpt of rcpts) rcptReplies.push(await session.read('rcpt', rcpt))
      if (chunking && !input.quit && !session.wire.hasUnread && envelopeAccepted()) {
        releaseFinalReply(session)
      }
      last = await session.read('data', chunking ? bdat : 'DATA', chunking ? 'dataEnd' : 'command')
    } else {
      if (owed) {
        session.send([]) // ends its line (an RSET is begun only with PIPELINING: defensive)
        await readReset()
      }
      if (sendReset) await session.cmd('mail', 'RSET', 2)
      mailReply = await session.cmd('mail', mail, 2)
      for (const rcpt of rcpts) {
        session.send([rcpt])
        rcptReplies.push(await session.read('rcpt', rcpt))
      }
      verdict() // nothing more is sent when no recipient was accepted
      session.send(chunking ? chunk : ['DATA'])
      last = await session.read('data', chunking ? bdat : 'DATA', chunking ? 'dataEnd' : 'command')
    }
  } catch (e) {
    // A server may close the connection after refusing part of a pipelined flight: its
    // refusal explains more than the close that followed.
    verdict()
    throw e
  }
  const { accepted, rejected } = verdict()
  if (chunking) {
    if (!ok(last)) throw session.refused('data', bdat, last)
    return { accepted, rejected, final: last }
  }
  if (last.code !== 354) throw session.refused('data', 'DATA', last)
  session.send(dataBody())
  const final = await session.read('data', '.', 'dataEnd')
  if (!ok(final)) throw session.refused('data', 'end of data', final)
  return { accepted, rejected, final }
}

/**
 * Begins the next message's RSET while the final reply to a pipelined BDAT LAST is still
 * awaited, on a connection that stays open (with QUIT in the flight the server closes, and its
 * FIN pushes its last reply out at once).
 *
 * Why: a server that reads through a small buffer flushes the replies to MAIL and RCPT when the
 * buffer runs dry in the middle of the chunk (Postfix reads 4 KiB at a time and delays "output
 * flushing until the read buffer must be refilled"), so the BDAT reply becomes a second small
 * write. Nagle's algorithm (RFC 896; RFC 1122 §4.2.3.4) holds it until we acknowledge the first,
 * and our TCP delays that acknowledgement (RFC 1122 §4.2.3.2; 40 ms on Linux): every message
 * over ~4 KiB would wait 40 ms. Any byte we send carries the acknowledgement at once.
 *
 * Why these bytes: a whole command would be answered, and that reply, written while the BDAT
 * reply is still unacknowledged, is held the same way and then holds back the next message's
 * replies (measured on Postfix: a 40 ms stall on every other message). The letters `RSET`
 * without CRLF are read and not answered until the next write ends the line; TCP is a byte
 * stream and the server waits for a line end up to its command timeout (RFC 5321 §4.5.3.2.7:
 * 5 minutes), far longer than the pool keeps a connection idle. RSET because RFC 2920 §3.1 lets
 * it stand anywhere in a pipelined group (so the next message's commands follow it at once;
 * NOOP must end a group, and Postfix 3.9 drops clients that send more after one), because a reused
 * connection sends an RSET before each message anyway (pool.ts), and because it resets nothing
 * here: the server reads it after the whole chunk, when the transaction is over (RFC 3030 §2
 * lets RSET clear a transaction only before BDAT LAST).
 */
function releaseFinalReply(session: Session): void {
  session.holdReset()
}
