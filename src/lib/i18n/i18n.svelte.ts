/**
 * The page's language as rune state, wrapping one i18next instance. Components call
 * `i18n.t('field.host')`; reading `i18n.lang` (and the loaded-catalogue counter) inside `t` makes
 * every translated text reactive, so switching the language re-renders exactly those texts.
 *
 * Catalogues load in parts: Japanese for the first paint is bundled; English, and the texts of
 * sign-in, test send, diagnosis and guide (`*-later.ts`) and of the gateway page (`*-gateway.ts`),
 * are imported when first needed.
 *
 * @module
 */
import i18next from 'i18next'
import { ja } from './ja.ts'
import { LANG_KEY, pickLang, type Lang } from './lang.ts'
import type { MessageKey } from './types.ts'

const instance = i18next.createInstance()
void instance.init({
  lng: 'ja',
  fallbackLng: 'ja',
  resources: { ja: { translation: ja } },
  initAsync: false,
  // Svelte escapes text itself; escaping here would show &lt; in the page.
  interpolation: { escapeValue: false },
  returnNull: false,
})

function readRemembered(): string | null {
  try {
    return localStorage.getItem(LANG_KEY)
  } catch {
    return null
  }
}

/** Adds a catalogue part to the language's bundle (deep merge, overwriting). */
function add(lang: Lang, part: object): void {
  instance.addResourceBundle(lang, 'translation', part, true, true)
}

class I18n {
  lang = $state<Lang>('ja')
  /** Bumped when a catalogue part arrives, so texts rendered before it re-render. */
  #loaded = $state(0)
  #later: Promise<void> | undefined
  #core = new Set<Lang>(['ja'])
  #laterLangs = new Set<Lang>()
  #gateway: Promise<void> | undefined
  #gatewayLangs = new Set<Lang>()

  /** Reads `?lang=` and the remembered choice; call once in the browser at start. */
  start(): void {
    void this.set(pickLang(location.search, readRemembered()))
  }

  /** Switches the language (once its catalogue loaded), remembers it, sets `<html lang>`. */
  async set(lang: Lang): Promise<void> {
    if (!this.#core.has(lang)) {
      const { en } = await import('./en.ts')
      add('en', en)
      this.#core.add('en')
    }
    if (this.#later) await this.#loadLaterFor(lang)
    if (this.#gateway) await this.#loadGatewayFor(lang)
    this.lang = lang
    try {
      localStorage.setItem(LANG_KEY, lang)
    } catch {
      // Storage can be unavailable (private mode); the choice then lasts for this page only.
    }
    document.documentElement.lang = lang
  }

  async #loadLaterFor(lang: Lang): Promise<void> {
    if (this.#laterLangs.has(lang)) return
    if (lang === 'ja') add('ja', (await import('./ja-later.ts')).jaLater)
    else add('en', (await import('./en-later.ts')).enLater)
    this.#laterLangs.add(lang)
    this.#loaded += 1
  }

  /**
   * Loads the texts of sign-in, test send, diagnosis and guide (Japanese, which is also the
   * fallback, and the current language). Idempotent; await it before showing those parts.
   */
  loadLater(): Promise<void> {
    this.#later ??= this.#loadLaterFor('ja').then(() => this.#loadLaterFor(this.lang))
    return this.#later
  }

  async #loadGatewayFor(lang: Lang): Promise<void> {
    if (this.#gatewayLangs.has(lang)) return
    if (lang === 'ja') add('ja', (await import('./ja-gateway.ts')).jaGateway)
    else add('en', (await import('./en-gateway.ts')).enGateway)
    this.#gatewayLangs.add(lang)
    this.#loaded += 1
  }

  /**
   * Loads the gateway page's texts (with the later ones, which it also shows: test send,
   * diagnosis). Idempotent; await it before showing the gateway page or the guide's app-only path.
   */
  loadGateway(): Promise<void> {
    this.#gateway ??= this.loadLater()
      .then(() => this.#loadGatewayFor('ja'))
      .then(() => this.#loadGatewayFor(this.lang))
    return this.#gateway
  }

  /** Translates `key` in the current language; `vars` fill `{{name}}` placeholders. */
  t = (key: MessageKey, vars?: Record<string, string | number>): string => {
    void this.#loaded
    return instance.t(key, { lng: this.lang, ...vars })
  }

  /** Picks the text of the current language from a `{ ja, en }` pair (catalogues outside i18next). */
  pick = (text: { ja: string; en: string }): string => text[this.lang]
}

export const i18n = new I18n()
export type { Lang }
