import { describe, expect, it } from 'vitest'
import type { DeviceItem, QueueItem } from '$lib/contract/gateway.ts'
import {
  canDelete,
  canRetry,
  formatSize,
  isLoopback,
  mailboxCounters,
  orderListeners,
  panelHost,
  panelValues,
  parseAllowList,
  pollDelay,
  POLL_BUSY_MS,
  POLL_IDLE_MS,
  showsDiagnosis,
  splitQueue,
  startOfDay,
  toDeviceCreate,
  emptyDeviceForm,
  usage,
} from './sending-view.ts'

const device = (over: Partial<DeviceItem> = {}): DeviceItem => ({
  id: 'd1',
  name: 'Printer 2F',
  mailboxId: 'mb1',
  username: 'printer-2f-a1b2c3',
  allowIps: [],
  apiKey: false,
  fromPolicy: 'mailbox',
  createdAt: '2026-12-02T05:00:00.000Z',
  lastUsedAt: null,
  ...over,
})

const message = (id: string, state: QueueItem['state'], createdAt: string, over: Partial<QueueItem> = {}): QueueItem => ({
  id,
  deviceId: 'd1',
  mailboxId: 'mb1',
  from: 'scanner@contoso.example',
  to: ['a@contoso.example'],
  subject: id,
  size: 1234,
  state,
  attempts: 0,
  createdAt,
  ...over,
})

describe('the values for a device panel', () => {
  it('names the page host for a wildcard listener and keeps a real address', () => {
    expect(panelHost('0.0.0.0', 'relay.lan')).toEqual({ host: 'relay.lan', guessed: true })
    expect(panelHost('::', 'relay.lan')).toEqual({ host: 'relay.lan', guessed: true })
    expect(panelHost('[::]', '192.0.2.5')).toEqual({ host: '192.0.2.5', guessed: true })
    expect(panelHost('192.0.2.10', 'localhost')).toEqual({ host: '192.0.2.10', guessed: false })
    expect(panelHost('[2001:db8::1]', 'localhost')).toEqual({ host: '2001:db8::1', guessed: false })
  })

  it('knows a loopback listener, which no LAN device reaches', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].map(isLoopback)).toEqual([true, true, true, true, true])
    expect(['192.0.2.10', 'relay.lan', '2001:db8::1', '0.0.0.0'].map(isLoopback)).toEqual([false, false, false, false])
    const lan = panelValues(device(), [{ host: '0.0.0.0', port: 2525, security: 'starttls' }], 'localhost', 'x@y.example')
    expect(lan.targets[0]).toMatchObject({ host: 'localhost', guessed: true, loopback: false })
  })

  it('puts STARTTLS first, then implicit TLS, then plain', () => {
    const ordered = orderListeners([
      { host: '0.0.0.0', port: 25, security: 'none' },
      { host: '0.0.0.0', port: 465, security: 'tls' },
      { host: '0.0.0.0', port: 2525, security: 'starttls' },
    ])
    expect(ordered.map((l) => l.port)).toEqual([2525, 465, 25])
  })

  it('gives host, port, security, user and the password only while it is known', () => {
    const listeners = [{ host: '127.0.0.1', port: 2525, security: 'starttls' as const }]
    const fresh = panelValues(device(), listeners, 'localhost', 'scanner@contoso.example', 'Pw3rd')
    expect(fresh).toEqual({
      targets: [{ host: '127.0.0.1', guessed: false, loopback: true, port: 2525, security: 'starttls' }],
      smtpAuth: true,
      username: 'printer-2f-a1b2c3',
      password: 'Pw3rd',
      from: 'scanner@contoso.example',
      allowIps: [],
    })
    expect(panelValues(device(), listeners, 'localhost', 'x@y.example').password).toBeNull()
    const byIp = panelValues(device({ username: null, allowIps: ['192.0.2.0/24'] }), listeners, 'localhost', 'x@y.example')
    expect(byIp.smtpAuth).toBe(false)
    expect(byIp.allowIps).toEqual(['192.0.2.0/24'])
  })
})

describe('the queue and the log', () => {
  const list = [
    message('old-sent', 'sent', '2026-12-02T01:00:00Z', { sentAt: '2026-12-02T01:00:05Z' }),
    message('waiting-2', 'retrying', '2026-12-02T03:00:00Z', { attempts: 1 }),
    message('failed', 'failed', '2026-12-02T02:00:00Z'),
    message('waiting-1', 'queued', '2026-12-02T02:30:00Z'),
    message('new-sent', 'sent', '2026-12-02T00:30:00Z', { sentAt: '2026-12-02T04:00:00Z' }),
  ]

  it('splits what waits (oldest first) from what is done (latest first)', () => {
    const { waiting, log } = splitQueue(list)
    expect(waiting.map((m) => m.id)).toEqual(['waiting-1', 'waiting-2'])
    expect(log.map((m) => m.id)).toEqual(['new-sent', 'failed', 'old-sent'])
  })

  it('allows [再送] on failed and waiting messages, delete on all but one being sent', () => {
    expect(['queued', 'sending', 'sent', 'retrying', 'failed'].map((state) => canRetry({ state: state as QueueItem['state'] })))
      .toEqual([true, false, false, true, true])
    expect(['queued', 'sending', 'sent', 'retrying', 'failed'].map((state) => canDelete({ state: state as QueueItem['state'] })))
      .toEqual([true, false, true, true, true])
  })

  it('diagnoses failed and retrying messages that carry an error', () => {
    const lastError = { code: 'SENDER_REJECTED' as const, message: '451 4.7.500 Server busy' }
    expect(showsDiagnosis({ state: 'retrying', lastError })).toBe(true)
    expect(showsDiagnosis({ state: 'failed', lastError })).toBe(true)
    expect(showsDiagnosis({ state: 'failed' })).toBe(false)
    expect(showsDiagnosis({ state: 'sent', lastError })).toBe(false)
  })

  it('reads again soon while something waits, rarely when all is done', () => {
    expect(pollDelay(list)).toBe(POLL_BUSY_MS)
    expect(pollDelay(list.filter((m) => m.state === 'sent'))).toBe(POLL_IDLE_MS)
    expect(pollDelay([])).toBe(POLL_IDLE_MS)
    expect(POLL_BUSY_MS).toBeLessThan(POLL_IDLE_MS)
  })

  it('starts "today" at local midnight', () => {
    const now = new Date(2026, 11, 2, 14, 5, 0).getTime()
    expect(Date.parse(startOfDay(now))).toBe(new Date(2026, 11, 2, 0, 0, 0).getTime())
  })

  it('shows sizes in decimal units', () => {
    expect(formatSize(512)).toBe('512 B')
    expect(formatSize(300_000)).toBe('300 KB')
    expect(formatSize(1_234_567)).toBe('1.2 MB')
  })
})

describe('counters against Microsoft limits', () => {
  it('levels a use: ok, near from 80 %, over at the limit', () => {
    expect(usage(7_999, 10_000)).toMatchObject({ percent: 79, level: 'ok' })
    expect(usage(8_000, 10_000)).toMatchObject({ percent: 80, level: 'near' })
    expect(usage(30, 30)).toMatchObject({ percent: 100, level: 'over' })
  })

  it('measures a mailbox without messages against Microsoft figures when the relay gave none', () => {
    const c = mailboxCounters(undefined, undefined)
    expect(c).toMatchObject({ sentToday: 0, waiting: 0, failed: 0 })
    expect(c.recipients).toMatchObject({ used: 0, limit: 10_000, level: 'ok' })
    expect(c.perMinute).toMatchObject({ used: 0, limit: 30 })
    const busy = mailboxCounters(
      { sentToday: 40, waiting: 3, failed: 1, recipients24h: 9_500, lastMinute: 12 },
      { recipientsPerDay: 10_000, messagesPerMinute: 12 },
    )
    expect(busy.recipients.level).toBe('near')
    expect(busy.perMinute.level).toBe('over')
  })
})

describe('the device form', () => {
  it('splits the allow-list on lines, commas and spaces', () => {
    expect(parseAllowList('192.0.2.15\n 192.0.2.0/24, 2001:db8::/32 、198.51.100.1\n\n')).toEqual([
      '192.0.2.15',
      '192.0.2.0/24',
      '2001:db8::/32',
      '198.51.100.1',
    ])
  })

  it('builds the contract request with only the chosen methods', () => {
    const r = toDeviceCreate({ ...emptyDeviceForm('mb1'), name: ' Printer 2F ', useAllowIps: true, allowIps: '192.0.2.0/24', apiKey: true })
    expect(r).toEqual({
      ok: true,
      body: { name: 'Printer 2F', mailboxId: 'mb1', smtpAuth: true, allowIps: ['192.0.2.0/24'], apiKey: true, fromPolicy: 'mailbox' },
    })
  })

  it('names the wrong fields: no name, no mailbox, no method, an empty or bad allow-list', () => {
    expect(toDeviceCreate({ ...emptyDeviceForm(''), smtpAuth: false })).toEqual({ ok: false, fields: expect.arrayContaining(['name', 'mailboxId', 'methods']) })
    expect(toDeviceCreate({ ...emptyDeviceForm('mb1'), name: 'x', smtpAuth: false, useAllowIps: true })).toEqual({
      ok: false,
      fields: expect.arrayContaining(['allowIps']),
    })
    expect(toDeviceCreate({ ...emptyDeviceForm('mb1'), name: 'x', useAllowIps: true, allowIps: 'printer.lan' })).toEqual({
      ok: false,
      fields: ['allowIps'],
    })
  })
})
