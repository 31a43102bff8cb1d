/**
 * The one Chromium the browser tests share: Debian's, headless, without the background traffic
 * (component updates, sync, QUIC probes) that has no place on a machine without internet. Its
 * contexts waive the certificate check for the sandbox's CA, which is generated at run time and
 * not in Chromium's store; the relay itself always verifies it.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const

/** True when Debian's Chromium is installed (tests that need it skip otherwise). */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM)
}

/** Launches Debian's Chromium headless with the shared flags. Close it in afterAll. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS] })
}

/** A new context that accepts the sandbox's run-time CA (`ignoreHTTPSErrors`), plus `options`. */
export function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ ignoreHTTPSErrors: true, ...options })
}
