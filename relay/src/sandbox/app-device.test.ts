import { describe, expect, it } from 'vitest'
import { appMailbox } from './exchange.ts'
import { appOnlyResource } from './idp-config.ts'
import { deviceAuthorizationAnswer, DevicePolls } from './idp-hooks.ts'
import { deviceCodePage, deviceCodeProblem, deviceConfirmPage } from './idp-pages.ts'
import { defaultSwitches } from './switches.ts'
import { WEB_APP } from './tenant.ts'

describe('appOnlyResource (Entra reading a client credentials scope)', () => {
  it('takes one <resource>/.default of Exchange Online, either identifier URI', () => {
    expect(appOnlyResource('https://outlook.office365.com/.default')).toBe('https://outlook.office365.com')
    expect(appOnlyResource('https://Outlook.Office.com/.default')).toBe('https://outlook.office.com')
  })
  it('refuses everything else with the kind of refusal in the error', () => {
    const kind = (scope: string) => {
      try {
        appOnlyResource(scope)
        return 'accepted'
      } catch (err) {
        return String((err as { error_description?: string }).error_description).split(': ').pop()
      }
    }
    expect(kind('')).toBe('missing')
    expect(kind('https://outlook.office365.com/SMTP.SendAsApp')).toBe('not-default')
    expect(kind('https://outlook.office365.com/.default openid')).toBe('several')
    expect(kind('https://graph.microsoft.com/.default')).toBe('unknown-resource')
  })
})

describe('appMailbox (Exchange: New-ServicePrincipal, Add-MailboxPermission)', () => {
  const sp = WEB_APP.servicePrincipalObjectId
  it('allows the working user only, by default', () => {
    expect(appMailbox(WEB_APP.clientId, sp, 'TARO@sandbox.mailkey.test', defaultSwitches()).ok).toBe(true)
    expect(appMailbox(WEB_APP.clientId, sp, 'hanako@sandbox.mailkey.test', defaultSwitches())).toEqual({ ok: false, reason: 'no-full-access' })
    expect(appMailbox(WEB_APP.clientId, sp, 'x@sandbox.mailkey.test', defaultSwitches())).toEqual({ ok: false, reason: 'no-mailbox' })
  })
  it('refuses the App registration object ID, another app, and each switch', () => {
    const taro = 'taro@sandbox.mailkey.test'
    expect(appMailbox(WEB_APP.clientId, WEB_APP.objectId, taro, defaultSwitches())).toEqual({ ok: false, reason: 'no-service-principal' })
    expect(appMailbox('00000000-0000-4000-8000-000000000000', sp, taro, defaultSwitches()).ok).toBe(false)
    expect(appMailbox(WEB_APP.clientId, sp, taro, { ...defaultSwitches(), servicePrincipalMissing: true })).toEqual({
      ok: false,
      reason: 'no-service-principal',
    })
    expect(appMailbox(WEB_APP.clientId, sp, taro, { ...defaultSwitches(), mailboxPermissionMissing: true })).toEqual({
      ok: false,
      reason: 'no-full-access',
    })
  })
})

describe('device code flow helpers', () => {
  it('DevicePolls: slow_down for a poll inside the interval, which then grows by 5 s', () => {
    const polls = new DevicePolls(5)
    expect(polls.tooSoon('a', 0)).toBe(0)
    expect(polls.tooSoon('a', 4_999)).toBe(5)
    expect(polls.tooSoon('a', 14_000)).toBe(10)
    expect(polls.tooSoon('a', 24_000)).toBe(15)
    expect(polls.tooSoon('a', 44_000)).toBe(0)
    expect(polls.tooSoon('b', 44_001)).toBe(0)
    expect(polls.tooSoon('', 44_002)).toBe(0)
  })
  it("shapes the device authorization answer as Entra's", () => {
    const answer = deviceAuthorizationAnswer({
      device_code: 'dc',
      user_code: 'BCDFGHJKL',
      verification_uri: 'https://localhost:1/devicelogin',
      verification_uri_complete: 'https://localhost:1/devicelogin?user_code=BCDFGHJKL',
      expires_in: 900,
    })
    expect(answer).toEqual({
      device_code: 'dc',
      user_code: 'BCDFGHJKL',
      verification_uri: 'https://localhost:1/devicelogin',
      expires_in: 900,
      interval: 5,
      message: 'To sign in, use a web browser to open the page https://localhost:1/devicelogin and enter the code BCDFGHJKL to authenticate.',
    })
  })
  it('pages: escaped, bilingual, the problem named', () => {
    const html = deviceCodePage({ lang: 'en', action: '/devicelogin?lang=en', xsrf: '"><x', problem: deviceCodeProblem({ name: 'ExpiredError' }) })
    expect(html).toContain('The code has expired.')
    expect(html).toContain('value="&quot;&gt;&lt;x"')
    expect(deviceCodeProblem(undefined)).toBeUndefined()
    expect(deviceCodeProblem({ name: 'NotFoundError' })).toBe('bad')
    const confirm = deviceConfirmPage({ lang: 'ja', action: '/devicelogin', xsrf: 'x', userCode: 'ABC', appName: '<app>' })
    expect(confirm).toContain('&lt;app&gt; にサインインしようとしていますか?')
    expect(confirm).toContain('name="abort" value="yes"')
  })
})
