import { describe, expect, it } from 'vitest'
import {
  AADSTS_EXPLANATIONS,
  explainAadsts,
  explainSmtpReply,
  findAadsts,
  M365_EXPLANATIONS,
  SEED_STEPS,
  SMTP_EXPLANATIONS,
} from './m365.ts'

describe('the Microsoft 365 table', () => {
  it('has unique ids, a hint and a known seed step in every entry', () => {
    const ids = M365_EXPLANATIONS.map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const e of M365_EXPLANATIONS) {
      expect(e.hint.length).toBeGreaterThan(10)
      expect(SEED_STEPS).toContain(e.seedStep)
    }
  })

  it.each([
    [535, '5.7.3 Authentication unsuccessful [SN2PR00CA0018]', 'smtp-5.7.3'],
    [
      535,
      '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled',
      'smtp-5.7.139-tenant',
    ],
    [
      535,
      '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled',
      'smtp-5.7.139-mailbox',
    ],
    [
      535,
      "5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy",
      'smtp-5.7.139-security-defaults',
    ],
    [
      535,
      '5.7.139 Authentication unsuccessful, basic authentication is disabled',
      'smtp-5.7.139-basic-auth',
    ],
    [
      535,
      '5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully',
      'smtp-5.7.139-conditional-access',
    ],
    [535, '5.7.139 Authentication unsuccessful', 'smtp-5.7.139'],
    [530, '5.7.57 Client not authenticated to send mail', 'smtp-5.7.57'],
    [550, '5.7.60 SMTP; Client does not have permissions to send as this sender', 'smtp-5.7.60'],
    [554, '5.2.252 SendAsDenied; a@b not allowed to send as c@d', 'smtp-5.2.252'],
    [554, '5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException', 'smtp-5.2.0-send-as'],
    [
      554,
      '5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
      'smtp-5.2.0-quota',
    ],
    [554, '5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException', 'smtp-5.2.2'],
    [451, '4.7.500 Server busy. Please try again later', 'smtp-4.7.500'],
    [451, '4.7.0 Temporary server error. Please try again later. PRX4', 'smtp-4.7.0'],
    [421, '4.3.2 Service not active', 'smtp-4.3.2'],
    [432, '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded', 'smtp-4.3.2-thread-limit'],
    [421, '4.7.66 TLS 1.0 and 1.1 are not supported.', 'smtp-4.7.66'],
    [501, '5.5.124 Invalid XOAUTH2 auth data - User address provided is not valid', 'smtp-5.5.124'],
    [552, '5.3.4 Message size exceeds fixed maximum message size', 'smtp-5.3.4'],
  ])('explains %i %s', (code, text, id) => {
    expect(explainSmtpReply({ code, text })?.id).toBe(id)
    const enhanced = text.split(' ')[0]
    expect(explainSmtpReply({ code, enhanced, lines: [text.slice(enhanced!.length + 1)] })?.id)
      .toBe(id)
  })

  it('leaves unknown replies unexplained', () => {
    expect(explainSmtpReply({ code: 550, text: '5.1.1 User unknown' })).toBeUndefined()
    expect(explainSmtpReply({ code: 250, text: 'OK' })).toBeUndefined()
  })

  it('explains every AADSTS code of the facts', () => {
    const codes =
      '9002326 9002327 7000218 700025 7000222 7000215 50011 500113 65001 90094 65004 700054 700051 70005 700084 700082 70008 70043 50173 54005 900144 50194 700016 530035 53003 50076 501481 50057 50126 70000 70011 9002313'
    for (const code of codes.split(' ')) {
      expect(explainAadsts(`AADSTS${code}`)?.id).toBe(`aadsts-${code}`)
      expect(explainAadsts(Number(code))?.id).toBe(`aadsts-${code}`)
    }
    expect(AADSTS_EXPLANATIONS.length).toBe(32)
    expect(SMTP_EXPLANATIONS.length).toBeGreaterThanOrEqual(19)
    expect(explainAadsts('AADSTS1')).toBeUndefined()
  })

  it('finds the AADSTS code in an Entra error body', () => {
    expect(findAadsts({ error_codes: [7000222] })).toBe('AADSTS7000222')
    expect(findAadsts({ error_description: 'AADSTS7000215: Invalid client secret provided.' }))
      .toBe('AADSTS7000215')
    expect(findAadsts('invalid_grant')).toBeUndefined()
  })
})
