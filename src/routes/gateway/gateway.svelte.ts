/**
 * The gateway page's controller: whether the admin is signed in, the mailbox list (refreshed
 * every few seconds while the page is visible, so renewals and re-authorisation show up), the
 * sandbox's values for the create form, and the page-wide notice. Per-mailbox actions (test,
 * re-authorise, device code, delete) keep their own status in MailboxCard.
 *
 * @module
 */
import type { SandboxValues } from '$lib/settings/model.ts'
import type { MessageKey } from '$lib/i18n/types.ts'
import { admin, errorCode } from './api.ts'
import type { MailboxItem } from '$lib/contract/gateway.ts'

/** How often the list is read again while the page is visible. */
const REFRESH_MS = 5_000
/** How often the countdowns move on. */
const CLOCK_MS = 15_000

export type Phase = 'loading' | 'off' | 'login' | 'in'

export interface Notice {
  kind: 'ok' | 'warn' | 'bad'
  key: MessageKey
  vars?: Record<string, string | number>
}

export class GatewayPage {
  phase = $state<Phase>('loading')
  mailboxes = $state<MailboxItem[]>([])
  /** Why the list could not be read (diagnosed), if it could not. */
  listProblem = $state<unknown>(null)
  notice = $state<Notice | null>(null)
  sandbox = $state<SandboxValues | null>(null)
  /** The relay still waits for the first password through its setup link. */
  setupNeeded = $state(false)
  now = $state(Date.now())

  #timers: ReturnType<typeof setInterval>[] = []

  /** Reads the session and, when signed in, the mailboxes. Call once on mount; `stop` on destroy. */
  async start(): Promise<void> {
    void import('$lib/relay/client.ts').then(async ({ getConfig }) => {
      this.sandbox = (await getConfig())?.sandbox ?? null
    })
    await this.#readSession()
    this.#timers.push(
      setInterval(() => (this.now = Date.now()), CLOCK_MS),
      setInterval(() => {
        if (this.phase === 'in' && document.visibilityState === 'visible') void this.refresh()
      }, REFRESH_MS),
    )
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t)
    this.#timers = []
  }

  async #readSession(): Promise<void> {
    try {
      await admin.session()
      this.phase = 'in'
      await this.refresh()
    } catch (e) {
      const code = errorCode(e)
      if (code === 'UNAUTHORIZED') {
        this.phase = 'login'
        this.setupNeeded = await admin.setupStatus().then((s) => s.needed, () => false)
      } else if (code === 'NOT_FOUND') this.phase = 'off'
      else {
        this.phase = 'login'
        this.listProblem = e
      }
    }
  }

  /** Reads the mailboxes again; a lost session leads back to the login. */
  async refresh(): Promise<void> {
    try {
      this.mailboxes = await admin.mailboxes()
      this.listProblem = null
      this.now = Date.now()
    } catch (e) {
      if (errorCode(e) === 'UNAUTHORIZED') {
        this.phase = 'login'
        this.mailboxes = []
      } else this.listProblem = e
    }
  }

  /** Signs in; throws the relay's answer (wrong password, rate limited) for the form to show. */
  async login(password: string): Promise<void> {
    await admin.login(password)
    this.phase = 'in'
    this.listProblem = null
    this.notice = null
    await this.refresh()
  }

  async logout(): Promise<void> {
    await admin.logout().catch(() => undefined)
    this.phase = 'login'
    this.mailboxes = []
    this.notice = { kind: 'ok', key: 'gw.login.loggedOut' }
  }

  /** Puts a mailbox the relay answered with into the list (create, authorize). */
  upsert(m: MailboxItem): void {
    const i = this.mailboxes.findIndex((x) => x.id === m.id)
    if (i < 0) this.mailboxes = [...this.mailboxes, m]
    else this.mailboxes[i] = m
  }

  forget(id: string): void {
    this.mailboxes = this.mailboxes.filter((m) => m.id !== id)
  }
}
