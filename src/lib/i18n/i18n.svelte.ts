/**
 * The page's language as rune state, wrapping one i18next instance. Components call
 * `i18n.t('field.host')`; reading `i18n.lang` inside `t` makes every translated text reactive,
 * so switching the language re-renders exactly the texts that depend on it.
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
  // English is loaded when chosen: Japanese is the default and the first paint needs only it.
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

class I18n {
  lang = $state<Lang>('ja')

  /** Reads `?lang=` and the remembered choice; call once in the browser at start. */
  start(): void {
    void this.set(pickLang(location.search, readRemembered()))
  }

  /** Switches the language (once its catalogue loaded), remembers it, sets `<html lang>`. */
  async set(lang: Lang): Promise<void> {
    if (!instance.hasResourceBundle(lang, 'translation')) {
      const { en } = await import('./en.ts')
      instance.addResourceBundle('en', 'translation', en)
    }
    this.lang = lang
    try {
      localStorage.setItem(LANG_KEY, lang)
    } catch {
      // Storage can be unavailable (private mode); the choice then lasts for this page only.
    }
    document.documentElement.lang = lang
  }

  /** Translates `key` in the current language; `vars` fill `{{name}}` placeholders. */
  t = (key: MessageKey, vars?: Record<string, string | number>): string =>
    instance.t(key, { lng: this.lang, ...vars })

  /** Picks the text of the current language from a `{ ja, en }` pair (catalogues outside i18next). */
  pick = (text: { ja: string; en: string }): string => text[this.lang]
}

export const i18n = new I18n()
export type { Lang }
