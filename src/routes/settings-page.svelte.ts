/**
 * The settings page's controller: the settings store, which errors are visible, presets, the
 * sandbox values from /api/config, and the save/export/import/reset actions with their notices.
 * The component only binds fields and calls these methods.
 *
 * @module
 */
import type { Reach } from '$lib/auth/reach.ts'
import { i18n } from '$lib/i18n/i18n.svelte.ts'
import type { MessageKey } from '$lib/i18n/types.ts'
import {
  applyPreset,
  presetHolds,
  sandboxClientId,
  TENANT_PLACEHOLDER,
  withTenant,
  type Preset,
  type SandboxValues,
  type Settings,
  type TokenMode,
} from '$lib/settings/model.ts'
import { settingsStore } from '$lib/settings/settings.svelte.ts'
import type { FieldErrors, Purpose, validate } from '$lib/settings/validate.ts'

/** Pause in typing after which a field's error shows. */
const TOUCH_DELAY_MS = 700

export interface Notice {
  kind: 'ok' | 'warn' | 'bad'
  key: MessageKey
  vars?: Record<string, string | number>
  /** A second key translated into the `reason` placeholder. */
  detail?: MessageKey
}

export class SettingsPage {
  readonly store = settingsStore
  sandbox = $state<SandboxValues | null>(null)
  configLoaded = $state(false)
  /** The relay's largest message (GET /api/config), to refuse a test attachment before upload. */
  maxMessageBytes = $state<number | null>(null)
  /** Fields the user has left at least once: their errors show from then on. */
  touched = $state<Partial<Record<keyof Settings, true>>>({})
  /** After an action was tried, every error of its purpose shows. */
  purpose = $state<Purpose>('save')
  showAll = $state(false)
  notice = $state<Notice | null>(null)
  exportSecrets = $state(false)
  /** Set once the admin chose a preset or edited a field: the sandbox notice shrinks to one line. */
  presetTouched = $state(false)
  /** Whether this browser reaches the authority of the endpoints filled in (null: not asked). */
  reach = $state<Reach | null>(null)
  #reachFor = ''
  #reachTimer: ReturnType<typeof setTimeout> | undefined

  /**
   * The contract's zod schemas (through validate.ts) load right after the first render, with the
   * saved settings: they are most of the page's JavaScript and nothing needs them to paint.
   */
  validator = $state<typeof validate | null>(null)
  readonly ready = $derived(this.validator !== null && this.store.loaded)

  readonly errors: FieldErrors = $derived(
    this.validator ? this.validator(this.store.value, this.purpose) : {}
  )

  get s(): Settings {
    return this.store.value
  }

  /** The message key to show next to `field`, if its error is visible. */
  errorOf(field: keyof Settings): MessageKey | undefined {
    return this.showAll || this.touched[field] ? this.errors[field] : undefined
  }

  #touchTimer: ReturnType<typeof setTimeout> | undefined

  /**
   * Shows `field`'s error once the user paused typing in it. Not on blur: an error appearing on
   * blur moves the buttons below while the mouse button is down, and the click is lost.
   */
  touch(field: keyof Settings): void {
    clearTimeout(this.#touchTimer)
    this.#touchTimer = setTimeout(() => (this.touched[field] = true), TOUCH_DELAY_MS)
  }

  async start(): Promise<void> {
    const [{ validate }, { getConfig }] = await Promise.all([
      import('$lib/settings/validate.ts'),
      import('$lib/relay/client.ts'),
      this.store.loaded ? undefined : this.store.load(),
    ])
    this.validator = validate
    void import('$lib/auth/session.svelte.ts').then(({ session }) => session.resume(this.s))
    if (this.store.migrated) this.notice = { kind: 'ok', key: 'settings.loadedOld' }
    const page = await getConfig()
    this.sandbox = page?.sandbox ?? null
    this.maxMessageBytes = page?.config.limits.maxMessageBytes ?? null
    this.configLoaded = true
    // Saved sandbox settings follow the running sandbox (its ports change between runs).
    if (this.s.preset === 'sandbox' && this.sandbox) this.store.replace(applyPreset(this.s, 'sandbox', this.sandbox))
  }

  /** Checks the settings for an action; false (and every error shown) when they are not ready. */
  check(purpose: Purpose): boolean {
    this.purpose = purpose
    this.showAll = true
    return this.invalidFields(purpose).length === 0
  }

  /** Names of the invalid fields for `purpose`, for the summary next to the button. */
  invalidFields(purpose: Purpose): (keyof Settings)[] {
    // Before the validator loaded (a click within the first milliseconds) nothing is accepted.
    if (!this.validator) return ['host']
    return Object.keys(this.validator(this.store.value, purpose)) as (keyof Settings)[]
  }

  setPreset(preset: Preset): void {
    this.presetTouched = true
    this.store.replace(applyPreset(this.s, preset, this.sandbox))
  }

  setTenant(tenantId: string): void {
    this.store.replace({
      ...this.s,
      tenantId,
      ...withTenant(tenantId, this.s.authorizeEndpoint, this.s.tokenEndpoint),
    })
  }

  setTokenMode(mode: TokenMode): void {
    const next = { ...this.s, tokenMode: mode }
    // The sandbox has one registration per platform; follow the mode (Entra would too).
    if (this.s.preset === 'sandbox' && this.sandbox) next.clientId = sandboxClientId(this.sandbox, mode)
    this.store.replace(next)
  }

  /**
   * After an edit: the preset turns "custom" only when a value it fixes changed (server, port,
   * SSL, the endpoints' host); the tenant, client ID, secret and addresses keep it.
   */
  edited(): void {
    this.presetTouched = true
    if (!presetHolds(this.s, this.sandbox)) this.s.preset = 'custom'
  }

  /**
   * Asks (after a pause in typing) whether this browser can reach the authority of
   * `authorizeEndpoint`, once it is filled in (no {YourTenantId} left); '' forgets the answer.
   */
  watchReach(authorizeEndpoint: string): void {
    const url = authorizeEndpoint.trim()
    if (url === this.#reachFor) return
    this.#reachFor = url
    clearTimeout(this.#reachTimer)
    this.reach = null
    if (!url || url.includes(TENANT_PLACEHOLDER) || url.includes('%7BYourTenantId%7D')) return
    this.#reachTimer = setTimeout(() => {
      void import('$lib/auth/reach.ts')
        .then(({ probeAuthority }) => probeAuthority(url))
        .then((r) => {
          if (this.#reachFor === url) this.reach = r
        })
    }, TOUCH_DELAY_MS)
  }

  async save(): Promise<void> {
    if (!this.check('save')) {
      this.notice = { kind: 'bad', key: 'settings.notSaved' }
      return
    }
    const [{ formatDateTime }] = await Promise.all([import('$lib/format/datetime.ts'), this.store.save()])
    this.notice = {
      kind: 'ok',
      key: 'settings.saved',
      vars: { time: formatDateTime(new Date(), i18n.lang) },
    }
  }

  async reset(): Promise<void> {
    await this.store.reset()
    this.touched = {}
    this.showAll = false
    this.purpose = 'save'
    this.notice = { kind: 'ok', key: 'settings.reset' }
  }

  /** Downloads the settings as JSON (secrets only when `exportSecrets`). */
  async exportFile(): Promise<void> {
    const { toExport } = await import('$lib/settings/persist.ts')
    const blob = new Blob([toExport(this.s, this.exportSecrets)], { type: 'application/json' })
    const url = URL.createObjectURL(blob)
    const a = document.createElement('a')
    a.href = url
    a.download = 'mailkey-settings.json'
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
    this.notice = { kind: 'ok', key: 'settings.exported' }
  }

  async importFile(file: File): Promise<void> {
    const { readSettings } = await import('$lib/settings/persist.ts')
    const read = readSettings(await file.text())
    if (!read.ok) {
      this.notice = { kind: 'bad', key: 'settings.importFailed', detail: `error.${read.reason}` }
      return
    }
    this.store.replace(read.settings)
    this.showAll = true
    this.notice = { kind: 'ok', key: 'settings.imported' }
  }
}
