import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushLog, stdoutLog } from './log.ts'

afterEach(() => {
  flushLog()
  vi.restoreAllMocks()
})

describe('stdoutLog', () => {
  it('writes after the current task, in order, one JSON object a line', async () => {
    const written: string[] = []
    vi.spyOn(console, 'log').mockImplementation((text: string) => void written.push(text))
    stdoutLog({ level: 'info', n: 1 })
    stdoutLog({ level: 'info', n: 2 })
    // Not while the answer is still to be written.
    expect(written).toEqual([])
    await new Promise((resolve) => setTimeout(resolve, 5))
    const lines = written.join('\n').split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => l['n'])).toEqual([1, 2])
    expect(lines[0]?.['time']).toMatch(/^\d{4}-\d\d-\d\dT/)
  })

  it('writes what it holds at once on flushLog (before the process exits)', () => {
    const written: string[] = []
    vi.spyOn(console, 'log').mockImplementation((text: string) => void written.push(text))
    stdoutLog({ level: 'info', event: 'last' })
    flushLog()
    expect(written).toHaveLength(1)
    expect(JSON.parse(written[0] as string)).toMatchObject({ event: 'last' })
  })
})
