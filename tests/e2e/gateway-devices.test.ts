/**
 * The gateway page's devices, queue, delivery log and counters end to end in Debian Chromium,
 * against the real relay with the gateway and its SMTP ingress on and the sandbox tenant, with
 * a scripted MFD (tests/helpers/mfd-client.ts) as the device:
 * - an app-only mailbox, then a device created on the page; the values the page shows for the
 *   device's panel (host, port, security, user, the password once) are the ones the MFD uses to
 *   send a scan through the ingress; the scan shows delivered in the log and in the counters;
 * - the setup card is what prints (print media: nothing else of the page is shown);
 * - with the sandbox's `smtpBusy` switch a scan waits with `451 4.7.500` and the catalogue's
 *   diagnosis, and [再送] delivers it once the switch is off;
 * - a device that keeps its own From is refused with `554 5.2.252` (Send As): failed at once,
 *   diagnosed, counted as failed, and deleted from the log;
 * - a device let in by its IP address sends without AUTH, and its API key sends over the API;
 * - at 360 px nothing runs off the side, and every control has a label.
 * Every wait is for a state the page shows; nothing asserts on timings.
 */
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newContext } from '../helpers/browser.ts'
import { b64, MfdClient } from '../helpers/mfd-client.ts'
import { freePort } from '../helpers/ports.ts'
import { ROOT } from '../helpers/relay-process.ts'
import { inbox, screenshot, setSwitches, startPageEnv, USERS, type PageEnv } from './page-harness.ts'

const PASSWORD = 'correct horse battery staple'
/** Delivery through the sandbox and the page's next read of the queue; room for a busy machine. */
const WAIT_MS = 90_000
const TEST_MS = 240_000

let env: PageEnv
let page: Page
let ingressPort: number
const problems: string[] = []

beforeAll(async () => {
  ingressPort = await freePort()
  env = await startPageEnv({
    RELAY_GATEWAY: '1',
    RELAY_ADMIN_PASSWORD: PASSWORD,
    RELAY_INGRESS: `127.0.0.1:${ingressPort}/starttls`,
  })
  const context = await newContext(env.browser, { viewport: { width: 1280, height: 900 } })
  page = await context.newPage()
  page.on('dialog', (d) => void d.accept())
  page.on('pageerror', (e) => problems.push(e.message))
})

afterAll(async () => {
  await setSwitches(env, { smtpBusy: false }).catch(() => undefined)
  await env?.stop()
})

const deviceCard = (name: string) => page.locator('article.device', { has: page.locator(`h3:text-is("${name}")`) })
const entry = (id: string) => page.locator(`#message-${id}`)
const text = async (l: Locator) => ((await l.textContent()) ?? '').trim()

/** Registers a device on the page; returns its card. */
async function createDevice(name: string, fromPolicy: 'mailbox' | 'keep'): Promise<Locator> {
  const details = page.locator('#device-create')
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await page.click('#device-create > summary')
  await page.fill('#dev-name', name)
  await page.check(`#dev-from-${fromPolicy}`)
  await page.click('#dev-create')
  const card = deviceCard(name)
  await card.waitFor()
  return card
}

/** What the page says to type into the device's panel. */
async function panel(card: Locator) {
  const target = card.locator('dl.target').first()
  return {
    host: await text(target.locator('.panel-host')),
    port: Number(await text(target.locator('.panel-port'))),
    security: await text(target.locator('.panel-security')),
    auth: await text(card.locator('.panel-auth')),
    user: await text(card.locator('.panel-user code')),
    password: await text(card.locator('.panel-password code')),
    from: await text(card.locator('.panel-from')),
  }
}

/** An MFD sending one scan with what its panel was given: STARTTLS, AUTH PLAIN (if any), one message. */
async function sendScan(p: { host: string; port: number; user?: string; password?: string }, subject: string, from: string) {
  expect(p.host).toBe('127.0.0.1')
  const mfd = await MfdClient.connect(p.port)
  try {
    expect(await mfd.reply()).toMatch(/^220 /)
    expect(await mfd.cmd('EHLO mfd-2f')).toMatch(/STARTTLS/)
    expect(await mfd.cmd('STARTTLS')).toMatch(/^220 /)
    await mfd.startTls()
    expect(await mfd.cmd('EHLO mfd-2f')).toMatch(/AUTH/)
    // A device let in by its address does not authenticate at all.
    if (p.user) expect(await mfd.cmd(`AUTH PLAIN ${b64(`\0${p.user}\0${p.password}`)}`)).toMatch(/^235 /)
    expect(await mfd.cmd(`MAIL FROM:<${from}>`)).toMatch(/^250 /)
    expect(await mfd.cmd(`RCPT TO:<${USERS.works.upn}>`)).toMatch(/^250 /)
    expect(await mfd.cmd('DATA')).toMatch(/^354 /)
    const done = await mfd.cmd(
      [`From: ${from}`, `To: ${USERS.works.upn}`, `Subject: ${subject}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', '', 'Scanned document.', '.'].join('\r\n'),
    )
    expect(done).toMatch(/^250 /)
    await mfd.cmd('QUIT')
    return /queued as (\S+)/.exec(done)![1]!
  } finally {
    mfd.close()
  }
}

let mailboxId = ''
let scanner: Awaited<ReturnType<typeof panel>>

describe('the gateway page: devices, queue, delivery log and counters', () => {
  it(
    'creates a device, shows its panel values once, and a scan sent with them is delivered and counted',
    async () => {
      await page.goto(`${env.origin}/gateway`)
      await page.fill('#admin-password', PASSWORD)
      await page.click('#login')
      await page.waitForSelector('#gateway[data-phase=in] #queue[data-loaded=true]')
      expect(await page.locator('#no-devices').count()).toBe(1)

      await page.click('#mailbox-create > summary')
      await page.check('#source-app')
      await page.click('#fill-sandbox')
      await page.fill('#mb-name', 'スキャン用')
      await page.click('#mb-create')
      const mailbox = page.locator('article.mailbox', { has: page.locator('h3:text-is("スキャン用")') })
      await mailbox.locator('.state[data-state=ready]').waitFor({ timeout: WAIT_MS })
      mailboxId = (await mailbox.getAttribute('id'))!.replace(/^mailbox-/, '')

      const card = await createDevice('複合機 2F', 'mailbox')
      expect(await text(card.locator('.once'))).toContain('今だけ表示')
      scanner = await panel(card)
      expect(scanner).toMatchObject({ host: '127.0.0.1', port: ingressPort, security: 'STARTTLS', auth: 'する（PLAIN または LOGIN）', from: USERS.works.upn })
      expect(scanner.user).toMatch(/^device-[0-9a-f]{6}$|^[a-z0-9-]+-[0-9a-f]{6}$/)
      expect(scanner.password).toMatch(/^[A-Za-z0-9]{20}$/)
      // The test's listener is on 127.0.0.1: the page says a LAN device cannot reach it.
      expect(await text(card.locator('.loopback'))).toContain(`RELAY_INGRESS=0.0.0.0:${ingressPort}/starttls`)
      const ingress = (await (await page.request.get(`${env.origin}/api/admin/ingress`)).json()) as { certificateSha256: string }
      expect(await text(card.locator('.panel-fingerprint'))).toBe(ingress.certificateSha256)

      // The printed page is the setup card alone, with the password on it.
      await page.evaluate(() => (window.print = () => undefined))
      await card.locator('button.print').click()
      await page.emulateMedia({ media: 'print' })
      expect(await card.locator('.setup-card').isVisible()).toBe(true)
      expect(await card.locator('.setup-card .panel-password').isVisible()).toBe(true)
      for (const other of ['#mailboxes-title', '#queue-title', 'header', '#dev-create', 'button.print']) {
        expect(await page.locator(other).first().isVisible(), other).toBe(false)
      }
      await screenshot(page, 'gateway-device-card-print')
      await page.emulateMedia({ media: 'screen' })

      const id = await sendScan(scanner, 'Scan 2F delivered', 'scanner@mfd.local')
      const delivered = page.locator(`#log #message-${id}[data-state=sent]`)
      await delivered.waitFor({ timeout: WAIT_MS })
      expect(await text(delivered.locator('.msg-reply'))).toMatch(/^250 /)
      expect(await text(delivered.locator('.msg-device'))).toBe('複合機 2F')
      expect(await text(delivered.locator('.msg-from'))).toContain(USERS.works.upn)
      expect((await inbox(env)).some((m) => m.subject === 'Scan 2F delivered')).toBe(true)

      const counters = page.locator(`#counters-${mailboxId}`)
      await counters.locator('.sent-today[data-n="1"]').waitFor({ timeout: WAIT_MS })
      expect(await text(counters.locator('.recipients .meter-value'))).toBe('1 / 10,000（0%）')
      expect(await text(counters.locator('.per-minute .meter-value'))).toMatch(/^1 \/ 30（3%）$/)
      expect(await counters.locator('.failed').getAttribute('data-n')).toBe('0')

      // Once the page is read again, the password is gone for good.
      await page.reload()
      await page.waitForSelector('#gateway[data-phase=in] #queue[data-loaded=true]')
      const again = deviceCard('複合機 2F')
      await again.waitFor()
      expect(await again.locator('.panel-password code').count()).toBe(0)
      expect(await text(again.locator('.panel-password'))).toContain('一度だけ')
      expect(await text(again.locator('.panel-user code'))).toBe(scanner.user)
      await screenshot(page, 'gateway-devices')
    },
    TEST_MS,
  )

  it(
    'shows a 451 with its diagnosis while it waits, and [再送] delivers it once the server is back',
    async () => {
      await setSwitches(env, { smtpBusy: true })
      const id = await sendScan(scanner, 'Scan while busy', 'scanner@mfd.local')
      const waiting = page.locator(`#queue #message-${id}[data-state=retrying]`)
      await waiting.waitFor({ timeout: WAIT_MS })
      expect(await text(waiting.locator('.msg-reply'))).toMatch(/^451 4\.7\.500/)
      await waiting.locator('.diagnosis[data-cause=server-busy]').waitFor()
      expect(await text(waiting.locator('.diagnosis'))).toContain('設定の誤りではありません')
      expect(await page.locator(`#counters-${mailboxId} .waiting`).getAttribute('data-n')).toBe('1')
      await screenshot(page, 'gateway-queue-busy')

      await setSwitches(env, { smtpBusy: false })
      await waiting.locator('button.retry').click()
      await page.locator(`#log #message-${id}[data-state=sent]`).waitFor({ timeout: WAIT_MS })
      expect((await inbox(env)).some((m) => m.subject === 'Scan while busy')).toBe(true)
      await page.locator(`#counters-${mailboxId} .sent-today[data-n="2"]`).waitFor({ timeout: WAIT_MS })
    },
    TEST_MS,
  )

  it(
    'fails a 5xx (Send As denied) at once with its diagnosis, counts it, and deletes it',
    async () => {
      const card = await createDevice('複合機 From そのまま', 'keep')
      const keep = await panel(card)
      expect(await text(card.locator('.panel-from + .muted'))).toContain('送信者として送信')
      const id = await sendScan(keep, 'Scan as someone else', 'someone@elsewhere.example')
      const failed = page.locator(`#log #message-${id}[data-state=failed]`)
      await failed.waitFor({ timeout: WAIT_MS })
      expect(await text(failed.locator('.msg-reply'))).toMatch(/^554 5\.2\.252/)
      await failed.locator('.diagnosis[data-cause=send-as-denied]').waitFor()
      expect(await failed.locator('.diagnosis .codes').textContent()).toContain('554 5.2.252')
      await page.locator(`#counters-${mailboxId} .failed[data-n="1"]`).waitFor({ timeout: WAIT_MS })
      await screenshot(page, 'gateway-log-failed')

      await failed.locator('button.delete').click()
      await page.locator(`#message-${id}`).waitFor({ state: 'detached' })
      await page.locator(`#counters-${mailboxId} .failed[data-n="0"]`).waitFor({ timeout: WAIT_MS })

      await card.locator('button.delete').click()
      await card.waitFor({ state: 'detached' })
      expect(await text(page.locator('#gateway-notice'))).toContain('複合機 From そのまま')
    },
    TEST_MS,
  )

  it(
    'registers a device let in by its IP address, with an API key for scripts: both send',
    async () => {
      await page.click('#device-create > summary')
      await page.fill('#dev-name', 'スクリプトと旧型機')
      await page.uncheck('#dev-smtp')
      await page.check('#dev-ips-on')
      await page.fill('#dev-ips', '192.0.2.0/24\n127.0.0.1')
      await page.check('#dev-apikey')
      await page.click('#dev-create')
      const card = deviceCard('スクリプトと旧型機')
      await card.waitFor()
      expect(await text(card.locator('.panel-auth'))).toBe('しない（IP アドレスで許可）')
      expect(await card.locator('.panel-user').count()).toBe(0)
      expect(await text(card.locator('.panel-ips'))).toBe('192.0.2.0/24, 127.0.0.1')
      const apiKey = await text(card.locator('.panel-apikey code'))
      expect(apiKey).toMatch(/^mk_/)
      expect(await text(card.locator('pre.script'))).toContain(`${env.origin}/api/v1/messages`)

      const target = card.locator('dl.target').first()
      const byIp = await sendScan(
        { host: await text(target.locator('.panel-host')), port: Number(await text(target.locator('.panel-port'))) },
        'Scan without AUTH',
        'old-mfd@mfd.local',
      )
      await page.locator(`#log #message-${byIp}[data-state=sent]`).waitFor({ timeout: WAIT_MS })
      expect(await text(entry(byIp).locator('.msg-device'))).toBe('スクリプトと旧型機')

      const posted = await fetch(`${env.origin}/api/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: { from: 'report@contoso.example', to: [USERS.works.upn], subject: '日次レポート', text: '本文です。' } }),
      })
      expect(posted.status).toBe(202)
      const { id } = (await posted.json()) as { id: string }
      await page.locator(`#log #message-${id}[data-state=sent]`).waitFor({ timeout: WAIT_MS })
      expect(await text(entry(id).locator('.subject'))).toBe('日次レポート')
    },
    TEST_MS,
  )

  it(
    'fits 360 px and labels every control, in English too',
    async () => {
      await page.setViewportSize({ width: 360, height: 800 })
      await page.locator('#device-create > summary').click()
      await page.check('#dev-ips-on')
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      expect(overflow).toBeLessThanOrEqual(0)
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('#gateway input, #gateway select, #gateway textarea')]
          .filter((el) => {
            const e = el as HTMLInputElement
            return !e.hidden && e.labels?.length === 0 && !e.getAttribute('aria-label')
          })
          .map((el) => el.id || el.outerHTML),
      )
      expect(unlabelled).toEqual([])
      expect(await page.locator('#gateway [role=status]').count()).toBeGreaterThanOrEqual(3)
      await screenshot(page, 'gateway-devices-360')
      await deviceCard('複合機 2F').screenshot({ path: join(ROOT, 'test-results', 'page', 'gateway-device-360.png') })
      await page.locator('#counters').screenshot({ path: join(ROOT, 'test-results', 'page', 'gateway-counters-360.png') })
      await page.locator('#log li').first().screenshot({ path: join(ROOT, 'test-results', 'page', 'gateway-log-entry-360.png') })

      await page.goto(`${env.origin}/gateway?lang=en`)
      await page.waitForSelector('#gateway[data-phase=in] #queue[data-loaded=true]')
      expect(await text(page.locator('#devices-title'))).toBe('Devices')
      expect(await text(page.locator('#log-title'))).toBe('Delivery log')
      expect(await text(deviceCard('複合機 2F').locator('.panel-security'))).toBe('STARTTLS')
      expect(problems).toEqual([])
    },
    TEST_MS,
  )
})
