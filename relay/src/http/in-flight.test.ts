import { describe, expect, it } from 'vitest'
import { ErrorBody } from '../../../src/lib/contract/api.ts'
import { postJson, testApp } from '../testing.ts'
import { createInFlight } from './in-flight.ts'

const send = {
  smtp: { host: 'localhost', port: 2525, security: 'none' },
  auth: { type: 'none' },
  message: { from: 'a@contoso.example', to: ['b@contoso.example'], subject: 's', text: 't' },
}
const env = {
  RELAY_SMTP_HOSTS: 'localhost:2525',
  RELAY_PLAINTEXT_HOSTS: 'localhost:2525',
  RELAY_ORIGINS: 'https://mail.example.com',
}

describe('requests in flight at shutdown', () => {
  it('answers a send the SMTP server has not answered: TIMEOUT, outcome unknown, CORS and log kept', async () => {
    const inFlight = createInFlight()
    let submitted = () => {}
    const reached = new Promise<void>((resolve) => (submitted = resolve))
    const { app, logs } = testApp(env, {
      inFlight,
      // The server has the message and has not said whether it took it.
      sendMail: () => {
        submitted()
        return new Promise(() => {})
      },
      resolveHost: async () => ['127.0.0.1'],
    })
    const answer = postJson(app, '/api/send', send, { Origin: 'https://mail.example.com' })
    await reached
    expect(inFlight.size).toBe(1)
    expect(inFlight.abandon()).toBe(1)
    const res = await answer
    expect(res.status).toBe(504)
    expect(res.headers.get('Connection')).toBe('close')
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://mail.example.com')
    const { error } = ErrorBody.parse(await res.json())
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toMatch(/outcome is unknown: a message being sent may have been delivered/)
    expect(error.maybeDelivered).toBe(true)
    expect(logs.at(-1)).toMatchObject({ path: '/api/send', status: 504, code: 'TIMEOUT' })
    expect(inFlight.size).toBe(0)
  })

  it('leaves answered requests alone and counts only those in flight', async () => {
    const inFlight = createInFlight()
    const { app } = testApp(env, { inFlight })
    expect((await app.request('/api/health')).status).toBe(200)
    expect(inFlight.size).toBe(0)
    expect(inFlight.abandon()).toBe(0)
    expect((await app.request('/api/health')).status).toBe(200)
  })
})
