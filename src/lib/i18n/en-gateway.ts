/**
 * English texts of the gateway page and the guide's app-only path (same keys as ja-gateway.ts).
 *
 * @module
 */
import { enSending } from './en-sending.ts'
import type { GatewayMessages } from './types.ts'

export const enGateway: GatewayMessages = {
  gw: {
    gateway: {
      title: 'Gateway',
      intro:
        'The relay keeps mailboxes’ credentials encrypted, renews their tokens itself, and sends to Microsoft 365 on behalf of printers, scanners and scripts.',
      loading: 'Loading…',
      off: 'This relay does not run the gateway (npm start turns it on).',
      back: 'Back to the mail settings',
      guide: 'App-only (app) setup steps',
      refresh: 'Refresh',
    },
    setup: {
      title: 'Choose the gateway administrator’s password',
      intro:
        'This is the one-time link the relay printed at its first start. Choose the gateway administrator’s password (at least 12 characters). The link works only once.',
      password: 'New password',
      confirm: 'Password (again)',
      hint: 'At least 12 characters, not used anywhere else.',
      submit: 'Set the password',
      tooShort: 'Use at least 12 characters (now {{n}}).',
      mismatch: 'The two passwords differ.',
      noCode:
        'This link carries no setup code. Open the link exactly as the relay printed it (…/gateway/setup#code=…).',
      working: 'Setting it…',
      failed: 'The password could not be set.',
      done: 'The password is set and you are signed in.',
      open: 'Open the gateway',
    },
    login: {
      title: 'Sign in as the gateway administrator',
      password: 'Administrator password',
      submit: 'Sign in',
      working: 'Checking…',
      failed: 'Sign-in failed.',
      wrong: 'Wrong password.',
      slow: 'After repeated failures you must wait before the next try. Try again in a while.',
      logout: 'Sign out',
      signedIn: 'Signed in as the gateway administrator.',
      loggedOut: 'Signed out.',
      notSetUp:
        'No administrator password yet? Open the setup link the relay printed at its first start (…/gateway/setup#code=…), or set RELAY_ADMIN_PASSWORD for the relay.',
    },
    mailboxes: {
      title: 'Mailboxes',
      none: 'No mailbox yet. Create one under “Add a mailbox” below.',
      add: 'Add a mailbox',
      loadFailed: 'The mailboxes could not be loaded.',
    },
    state: {
      'needs-sign-in': 'Needs sign-in',
      ready: 'Ready to send',
      'reauth-needed': 'Re-authorisation needed',
      error: 'Error',
    },
    stateHelp: {
      'needs-sign-in':
        'No token yet. Press [Re-authorise] and sign in as the mailbox’s user in the popup: the relay keeps the refresh token and can send from then on.',
      ready: 'The relay holds a token and renews it by itself 10 minutes before it expires.',
      'reauth-needed':
        'The relay can no longer renew this mailbox’s token. Fix the cause below, then press [Re-authorise]. Until then, mail for this mailbox waits in the queue.',
      error: 'The relay could not get a token. Once the cause below is fixed, the next renewal recovers.',
    },
    field: {
      name: 'Name',
      nameHint: 'A name the administrator recognises (e.g. Printer 1st floor).',
      address: 'Mailbox address',
      addressHint: 'The mailbox that sends. For app, the mailbox the service principal has FullAccess to.',
      account: 'Account',
      tokenSource: 'Token source',
      tokenValidUntil: 'Token valid until',
      nextRenewal: 'Next renewal',
      secretExpires: 'Secret expires',
      state: 'State',
      testTo: 'Send the test to',
    },
    source: {
      app: 'app (app-only: client credentials, SMTP.SendAsApp)',
      delegated: 'delegated (a user signs in once; the guide’s Web registration)',
      appShort: 'app (app-only)',
      delegatedShort: 'delegated',
    },
    advice: {
      choose:
        'For unattended sending from devices and scripts choose app (app-only): no user sign-in that can run out. Choose delegated, with the guide’s Web registration unchanged, when your organisation does not allow application permissions (SMTP.SendAsApp).',
      spa: 'spa-pkce and implicit cannot serve unattended sending (SPA refresh tokens end after 24 hours; implicit has no refresh token).',
    },
    secret: {
      left: '{{days}} days left ({{date}})',
      today: 'Expires today ({{date}})',
      expired: 'Expired ({{date}}). Create a new secret in Entra.',
      unknown: 'Not entered',
    },
    time: {
      none: '—',
      in: '{{when}} (in {{left}})',
      ago: '{{when}} ({{left}} ago)',
      minutes: '{{m}} min',
      hours: '{{h}} h {{m}} min',
      days: '{{d}} days',
    },
    button: {
      reauth: 'Re-authorise',
      deviceCode: 'Sign in with a device code',
      test: 'Send test',
      delete: 'Delete',
      create: 'Create the mailbox',
      cancel: 'Cancel',
      sandbox: 'Fill in the sandbox’s values',
    },
    create: {
      title: 'Add a mailbox',
      secretHint: 'The secret’s Value. The relay stores it encrypted; the page never shows it again.',
      fromSettings:
        'The mail settings’ values are filled in. If you typed the client secret there, it came along too.',
      secretAgain: 'The mail settings no longer hold the client secret: type it here, once.',
      working: 'Creating…',
      created: 'Mailbox “{{name}}” created.',
      failed: 'The mailbox could not be created.',
    },
    reauth: {
      appOnly:
        'When an app-only (app) mailbox fails to authenticate like this, check in Exchange Online that the service principal is registered (New-ServicePrincipal with the Enterprise application’s object ID) and has FullAccess to this mailbox (Add-MailboxPermission).',
      appOnlyLink: 'Open the app-only steps',
      working: 'Signing in in the popup…',
      handing: 'Handing the sign-in code to the relay…',
      done: 'Sign-in for “{{name}}” completed.',
      failed: 'Sign-in failed.',
      notLocalhost:
        'This page is open under another name than localhost, so the popup’s redirect URI (http://localhost) cannot be used. Use [Sign in with a device code], or open http://localhost:<port>/gateway on the relay’s machine.',
      noApp: 'An app (app-only) mailbox needs no sign-in: the relay gets its tokens with the client credentials.',
    },
    device: {
      title: 'Sign in with a device code',
      open: 'On any device’s browser, open:',
      enter: 'Enter this code and sign in as the mailbox’s user:',
      code: 'Code',
      uri: 'Sign-in page',
      expires: 'The code expires {{when}}',
      waiting: 'Waiting for the sign-in. When it completes, the state turns to “Ready to send”.',
      done: 'The device code sign-in completed.',
      failed: 'The device code flow could not start.',
      needsPublic: 'The app registration needs “Allow public client flows” set to Yes.',
    },
    test: {
      sending: 'Sending the test message…',
      subject: 'mailkey gateway test ({{name}}, {{time}})',
      failed: 'The test send failed.',
    },
    remove: {
      confirm: 'Delete mailbox “{{name}}”? Its stored credentials and tokens are deleted too.',
      done: 'Mailbox “{{name}}” deleted.',
      failed: 'It could not be deleted.',
    },
    appGuide: {
      title: 'Unattended sending with app-only (app)',
      intro:
        'What the gateway needs to send without any user signing in. The values are filled in from this page’s settings (tenant ID, client ID, From address).',
      chooseTitle: 'Which token source to choose',
      deviceTitle: 'Device code or popup (delegated)',
      device:
        'When you can open the gateway page on http://localhost (on the relay’s machine), use the [Re-authorise] popup. When you open it under another name (a LAN server name or IP address), the Web registration’s redirect URI (http://localhost) cannot come back to it: use [Sign in with a device code]. The device code needs “Allow public client flows” set to Yes under the app registration’s [Authentication].',
      objectIdWarn:
        'Warning: this is the Enterprise application’s object ID, NOT the object ID on the App registration’s Overview. The wrong ID makes authentication fail (535 5.7.3).',
      objectIdLabel: 'Enterprise application object ID',
      objectIdWhere:
        'Microsoft Entra admin center > Enterprise applications > (this app) > Overview: copy “Object ID” (also reached from App registrations > Overview > “Managed application in local directory”).',
      values: 'Values these steps use',
    },
  },
  ...enSending,
}
