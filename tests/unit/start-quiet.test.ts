/**
 * `npm start` builds the page quietly: nothing of a build that works reaches the terminal (Vite
 * prints about 100 lines of chunk sizes); a failing build prints all it said, and its status.
 */
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain .mjs script without type declarations
import { quietly } from '../../scripts/quietly.mjs'

function sink(): { stream: Writable; text(): string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  return { stream, text: () => chunks.join('') }
}

const node = process.execPath

describe('the quiet build step of npm start', () => {
  it('prints nothing of a step that works', () => {
    const out = sink()
    const err = sink()
    const script = 'for (let i = 0; i < 100; i++) console.log("build/_app/chunk-" + i + ".js  1.2 kB │ gzip: 0.6 kB"); console.error("warn")'
    const status = quietly(node, ['-e', script], { cwd: process.cwd(), out: out.stream, err: err.stream })
    expect(status).toBe(0)
    expect(out.text()).toBe('')
    expect(err.text()).toBe('')
  })

  it('prints everything a failing step said, and returns its status', () => {
    const out = sink()
    const err = sink()
    const script = 'console.log("transforming..."); console.error("[vite]: Rollup failed to resolve import"); process.exit(3)'
    const status = quietly(node, ['-e', script], { cwd: process.cwd(), out: out.stream, err: err.stream })
    expect(status).toBe(3)
    expect(out.text()).toBe('transforming...\n')
    expect(err.text()).toBe('[vite]: Rollup failed to resolve import\n')
  })

  it('says so when the command cannot even start', () => {
    const err = sink()
    const status = quietly('mailkey-no-such-command', [], { cwd: process.cwd(), out: sink().stream, err: err.stream })
    expect(status).toBe(1)
    expect(err.text()).toContain('mailkey-no-such-command')
  })
})
