import { describe, expect, it } from 'vitest'
import { SEED_STEPS } from '$lib/contract/m365.ts'
import { CAUSES } from '$lib/diagnosis/catalogue.ts'
import { enLater } from '$lib/i18n/en-later.ts'
import { jaLater } from '$lib/i18n/ja-later.ts'
import { guideSteps, type GuideContext } from './steps.ts'

const ctx: GuideContext = {
  mode: 'spa-pkce',
  redirectUri: 'http://localhost:8787/redirect-bridge.html',
  redirectUsable: true,
  authorizeEndpoint: 'https://login.microsoftonline.com/t/oauth2/V2.0/authorize',
  tokenEndpoint: 'https://login.microsoftonline.com/t/oauth2/V2.0/token',
}

describe('guide steps', () => {
  it('has a step for every seed step a diagnosis can link to', () => {
    const ids = guideSteps(ctx).map((s) => s.id)
    for (const step of SEED_STEPS.filter((s) => s !== 'none')) expect(ids).toContain(step)
    for (const cause of CAUSES.filter((c) => c.step !== 'none')) expect(ids).toContain(cause.step)
  })

  it('shows the exact redirect URI and platform of the chosen mode', () => {
    const spa = guideSteps(ctx).find((s) => s.id === 'register-app')
    expect(spa?.copy?.[0]?.value).toBe('http://localhost:8787/redirect-bridge.html')
    expect(spa?.items.some((i) => i.en.includes('Single-page application'))).toBe(true)
    const web = guideSteps({ ...ctx, mode: 'web-secret', redirectUri: 'http://localhost:8787/' }).find(
      (s) => s.id === 'register-app'
    )
    expect(web?.copy?.[0]?.value).toBe('http://localhost:8787/')
    expect(web?.items.some((i) => i.ja.includes('[Web]'))).toBe(true)
  })

  it('has every text in both languages', () => {
    for (const mode of ['spa-pkce', 'web-secret', 'implicit'] as const) {
      for (const step of guideSteps({ ...ctx, mode, redirectUsable: false })) {
        for (const text of [step.title, ...step.items, ...(step.notes ?? [])]) {
          expect(text.ja.trim()).not.toBe('')
          expect(text.en.trim()).not.toBe('')
        }
      }
    }
  })

  it('names each step in a diagnosis link exactly as the heading it opens', () => {
    for (const step of guideSteps(ctx)) {
      expect(jaLater.steps[step.id]).toBe(step.title.ja)
      expect(enLater.steps[step.id]).toBe(step.title.en)
    }
  })

  it('shows the value to register: http://localhost on localhost, the https root on a server', () => {
    const local = guideSteps({ ...ctx, mode: 'web-secret', redirectUri: 'http://localhost' })
    expect(local.find((s) => s.id === 'register-app')?.notes?.[0]?.ja).toContain('ポート番号を問いません')
    const server = guideSteps({ ...ctx, mode: 'implicit', redirectUri: 'https://mail.example/', redirectOnServer: true })
    const app = server.find((s) => s.id === 'register-app')
    expect(app?.copy?.[0]?.value).toBe('https://mail.example/')
    expect(app?.notes?.[0]?.en).toContain('instead of the guide')
  })
})
