/**
 * English texts needed only after the first paint: the same keys as `ja-later.ts`.
 *
 * @module
 */
import type { LaterMessages } from './types.ts'

export const enLater: LaterMessages = {
  signin: {
    heading: 'Sign-in',
    signedOut: 'Not signed in.',
    signingIn: 'Signing in in the popup…',
    connecting: 'mailkey: connecting to the sign-in page…',
    signingInHint: 'If you do not see the popup, check whether the browser blocked it.',
    signedIn: 'Signed in as {{account}}.',
    validUntil: 'Token valid until {{time}}',
    left: '{{left}} left',
    scopes: 'Scopes granted: {{scopes}}',
    stale: 'The token mode, client ID or token endpoint changed, so this token no longer applies. Press [Sign in] again.',
    renewing: 'Renewing the token…',
    expired: 'The token has expired.',
    expiredImplicit: 'The token has expired. The implicit mode cannot renew it: press [Sign in] again.',
    implicitNote: 'The implicit mode cannot renew tokens: you will be asked to sign in again at expiry.',
    renewsAt: 'Renewed automatically before expiry.',
    failed: 'Sign-in failed.',
    needOAuth: '[Sign in] is used when the authentication is OAuth 2.0.',
    fixFields: 'First correct these fields: {{fields}}',
  },
  send: {
    heading: 'Send test email',
    sending: 'Sending…',
    ok: 'Sent successfully.',
    failed: 'Sending failed.',
    response: 'Server reply',
    messageId: 'Message-ID',
    accepted: 'Accepted recipients',
    rejected: 'Rejected recipients',
    timings: 'Timings: connect {{connect}} ms, TLS {{tls}} ms, auth {{auth}} ms, total {{total}} ms',
    transcript: 'SMTP transcript (token redacted)',
    needToken: 'Sending needs an OAuth 2.0 token. Press [Sign in] first.',
    subject: 'mailkey test message ({{time}})',
    body: 'This is a test message sent by mailkey at {{time}}.\n\nIf it arrived, sending through the SMTP server {{host}} with OAuth 2.0 (XOAUTH2) is set up correctly.\n\n-- \nmailkey',
    bodyPlain: 'This is a test message sent by mailkey at {{time}}.\n\nIf it arrived, sending through the SMTP server {{host}} is set up correctly.\n\n-- \nmailkey',
    none: '-',
  },
  diag: {
    what: 'What happened',
    cause: 'Likely cause',
    fix: 'How to fix it',
    step: 'Open the step: {{step}}',
    codes: 'Codes',
    details: 'Details from the server',
  },
  guide: {
    title: 'Admin setup guide',
    intro:
      'The Microsoft 365 and Entra settings, in the order of the original guide. The values to copy match this deployment and the chosen token mode.',
    mode: 'Token mode to explain',
    who: 'Who',
    back: 'Back to the mail settings',
  },
  steps: {
    'smtp-auth': 'Enable SMTP AUTH for the Microsoft 365 user',
    'register-app': 'Register the app',
    authentication: 'Register authentication (platform and redirect URI)',
    'client-secret': 'Create the client secret',
    'api-permissions': 'Add the API permissions',
    consent: 'Grant admin consent',
    'overview-values': 'Note the values (client ID, tenant ID)',
    'mail-settings': 'Enter the mail settings',
    'sign-in': 'Sign in with [Sign in]',
    'tenant-policy': 'Organisation policies (security defaults, Conditional Access)',
    none: '-',
  },
  time: { left: '{{m}} min {{s}} s', leftSeconds: '{{s}} s' },
}
