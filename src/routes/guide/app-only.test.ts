import { describe, expect, it } from 'vitest'
import { APP_SCOPE, appOnlySteps } from './app-only.ts'

const commands = (c: Parameters<typeof appOnlySteps>[0]) =>
  appOnlySteps(c).flatMap((s) => s.commands.map((x) => x.value))

describe('the app-only guide', () => {
  const filled = commands({
    tenantId: 'tid-1',
    clientId: '11111111-2222-3333-4444-555555555555',
    mailbox: 'scanner@contoso.com',
    objectId: '99999999-8888-7777-6666-555555555555',
  })

  it('fills the exact PowerShell with this tenant’s values', () => {
    expect(filled).toContain('Connect-ExchangeOnline -Organization tid-1')
    expect(filled).toContain(
      "New-ServicePrincipal -AppId 11111111-2222-3333-4444-555555555555 -ObjectId 99999999-8888-7777-6666-555555555555 -DisplayName 'mailkey gateway'"
    )
    expect(filled).toContain(
      'Add-MailboxPermission -Identity scanner@contoso.com -User 99999999-8888-7777-6666-555555555555 -AccessRights FullAccess'
    )
    expect(filled).toContain('Set-CASMailbox -Identity scanner@contoso.com -SmtpClientAuthenticationDisabled $false')
    expect(filled).toContain(
      "New-ManagementRoleAssignment -Role 'Application SMTP.SendAsApp' -App 11111111-2222-3333-4444-555555555555 -CustomResourceScope 'mailkey-senders'"
    )
    expect(filled).toContain(APP_SCOPE)
  })

  it('names what it does not know yet instead of inventing it', () => {
    const empty = commands({ tenantId: '', clientId: ' ', mailbox: '', objectId: '' })
    expect(empty).toContain('Connect-ExchangeOnline -Organization <Directory (tenant) ID>')
    expect(empty.join('\n')).toContain('-ObjectId <Enterprise application object ID>')
    expect(empty.join('\n')).toContain('-Identity <mailbox@contoso.com>')
  })

  it('has both languages for every text', () => {
    for (const step of appOnlySteps({ tenantId: '', clientId: '', mailbox: '', objectId: '' })) {
      for (const text of [step.title, ...step.items, ...(step.notes ?? []), ...step.commands.map((c) => c.label)]) {
        expect(text.ja.trim()).not.toBe('')
        expect(text.en.trim()).not.toBe('')
      }
    }
  })
})
