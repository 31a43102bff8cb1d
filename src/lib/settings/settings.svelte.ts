/**
 * The settings the form edits, as rune state, persisted to localStorage in the versioned shape of
 * `persist.ts`. The form binds to `store.value` and mutates it; nothing is written until [保存].
 * `persist.ts` (and zod with it) is loaded on first use, after the page has rendered.
 *
 * @module
 */
import { defaultSettings, type Settings } from './model.ts'

function storage(): Storage | undefined {
  try {
    return globalThis.localStorage
  } catch {
    return undefined
  }
}

export class SettingsStore {
  value = $state<Settings>(defaultSettings())
  /** Set when the stored settings were written by an older version and upgraded. */
  migrated = $state(false)
  /** True once `load` ran: the store outlives page navigation and loads once. */
  loaded = $state(false)
  /** True when settings are saved on this device (read at load, written by save, cleared by reset). */
  saved = $state(false)

  /** Loads the saved settings; a missing or unreadable entry leaves the defaults. */
  async load(): Promise<void> {
    const { readSettings, STORAGE_KEY } = await import('./persist.ts')
    const text = storage()?.getItem(STORAGE_KEY)
    const read = text ? readSettings(text) : undefined
    this.saved = !!text
    if (read?.ok) {
      this.value = read.settings
      this.migrated = read.migrated
    }
    this.loaded = true
  }

  /** Writes the settings (the secrets only if remembered); throws if storage refuses. */
  async save(): Promise<void> {
    const { STORAGE_KEY, toStorage } = await import('./persist.ts')
    const s = storage()
    if (!s) throw new Error('localStorage is not available')
    s.setItem(STORAGE_KEY, toStorage(this.value))
    this.saved = true
  }

  /** Back to the defaults, and forgets what was saved. */
  async reset(): Promise<void> {
    const { STORAGE_KEY } = await import('./persist.ts')
    storage()?.removeItem(STORAGE_KEY)
    this.saved = false
    this.value = defaultSettings()
  }

  /** Replaces the settings (import); saving stays the user's decision. */
  replace(next: Settings): void {
    this.value = next
  }
}

/** The one settings store of the app: the settings page and the guide share it. */
export const settingsStore = new SettingsStore()
