import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { requestBodyLimit } from './body-limit.ts'
import type { RelayEnv } from './context.ts'

const limited = (maxSize: number) =>
  new Hono<RelayEnv>().post(
    '/',
    requestBodyLimit({ maxSize, onError: (c) => c.text('too large', 413) }),
    async (c) => c.text(`got ${(await c.req.text()).length}`),
  )

/** A body without Content-Length: the request goes out chunked. */
const stream = (text: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      const bytes = new TextEncoder().encode(text)
      for (let i = 0; i < bytes.length; i += 10) controller.enqueue(bytes.subarray(i, i + 10))
      controller.close()
    },
  })

describe('requestBodyLimit', () => {
  it('passes a body with Content-Length up to the limit, refuses one over it', async () => {
    const app = limited(20)
    const ok = await app.request('/', { method: 'POST', body: 'x'.repeat(20) })
    expect([ok.status, await ok.text()]).toEqual([200, 'got 20'])
    const over = await app.request('/', { method: 'POST', body: 'x'.repeat(21) })
    expect(over.status).toBe(413)
  })

  it('counts a body without Content-Length as it arrives', async () => {
    const app = limited(20)
    const init = (text: string) => ({ method: 'POST', body: stream(text), duplex: 'half' }) as RequestInit
    const ok = await app.request('/', init('y'.repeat(20)))
    expect([ok.status, await ok.text()]).toEqual([200, 'got 20'])
    const over = await app.request('/', init('y'.repeat(35)))
    expect(over.status).toBe(413)
  })

  it('trusts a Content-Length only without Transfer-Encoding', async () => {
    const app = limited(20)
    const res = await app.request('/', {
      method: 'POST',
      headers: { 'Content-Length': '5', 'Transfer-Encoding': 'chunked' },
      body: stream('z'.repeat(30)),
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
  })
})
