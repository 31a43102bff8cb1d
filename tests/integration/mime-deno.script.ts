/**
 * Builds one message with the relay's MIME module and prints the result as one JSON line, so
 * `mime-deno.test.ts` can compare Deno's output with Node's. Input: the message as JSON in
 * argv[2] and the date (ISO) in argv[3]. Runtime-neutral: `node:` modules only.
 */
import { Buffer } from 'node:buffer'
import process from 'node:process'
import { buildMessage } from '../../relay/src/mime/index.ts'

const message = JSON.parse(process.argv[2] ?? '{}')
const built = await buildMessage(message, { date: new Date(process.argv[3] ?? 0) })
const raw = Buffer.from(built.raw).toString('base64')
process.stdout.write(JSON.stringify({ ...built, raw }) + '\n')
