/**
 * English strings of the settings page: the same keys as `ja.ts` (enforced by the type).
 *
 * @module
 */
import type { CoreMessages } from './types.ts'

export const en: CoreMessages = {
  app: {
    title: 'Mail settings',
    tagline: 'Configure, authorise and test sending mail through Microsoft 365 with OAuth 2.0 (SMTP AUTH XOAUTH2).',
    language: 'Language',
    nav: { settings: 'Mail settings', guide: 'Admin setup guide', inbox: 'Sandbox inbox', gateway: 'Gateway' },
    skip: 'Skip to content',
  },
  preset: {
    label: 'Preset',
    m365: 'Microsoft 365',
    sandbox: 'Sandbox',
    custom: 'Custom',
    sandboxMissing: 'This relay is not running the sandbox (npm start runs it).',
    sandboxUsers: 'Sandbox users',
  },
  field: {
    host: 'SMTP server',
    port: 'SMTP port',
    authType: 'Authentication',
    user: 'User name',
    password: 'Password',
    tenantId: 'Directory (tenant) ID',
    tenantHint: 'Replaces {YourTenantId} in both endpoints.',
    clientId: 'Application (client) ID',
    clientSecret: 'Client secret',
    clientSecretHint: "Enter the secret's Value (not its Secret ID).",
    remember: 'Remember on this device',
    rememberWarn:
      "If remembered, the secret is stored in plain text in this browser's localStorage. Do not tick this on a shared computer.",
    secretExpires: 'Client secret expiry date',
    secretExpiresHint: '6 months after creation by default, at most 2 years.',
    endpointParts: 'Host {{host}} · tenant {{tenant}}',
    endpointNoTenant: 'Host {{host}} · no tenant yet',
    authorize: 'Authorization endpoint',
    token: 'Token endpoint',
    tokenMode: 'Token mode',
    redirectUri: "This deployment's redirect URI",
    security: 'SSL',
    to: 'To address',
    from: 'From address',
    optional: '(optional)',
  },
  auth: { none: 'None', password: 'Password (SMTP AUTH)', oauth2: 'OAuth 2.0' },
  security: { none: 'None', tls: 'SSL/TLS', starttls: 'StartTLS' },
  mode: {
    'spa-pkce': {
      name: 'spa-pkce (single-page application, recommended)',
      how: 'MSAL popup with authorization code + PKCE. Renewed automatically before expiry.',
      needs:
        'Entra app registration: under [Authentication] add the platform "Single-page application" with this redirect URI.',
    },
    'web-secret': {
      name: "web-secret (the guide's Web registration + client secret)",
      how: 'The popup returns code id_token (with PKCE and nonce); the relay redeems the code with the client secret. The refresh token is kept only for this tab and used to renew before expiry.',
      needs:
        'Entra app registration: platform "Web" with the redirect URI below, "ID tokens" ticked, and a client secret.',
    },
    implicit: {
      name: 'implicit (implicit flow)',
      how: 'The popup returns the access token directly. It cannot be renewed: you are asked to sign in again when it expires.',
      needs:
        'Entra app registration: platform "Web" with the redirect URI below, both "Access tokens" and "ID tokens" ticked.',
    },
    notLocalhost:
      'For this mode, open this page at http://localhost:<port>/ or at an https address (Entra allows http only for localhost).',
    localhostPort:
      'This page returns to {{uri}}. Entra ignores the port of a localhost redirect URI, so the value above is all you register.',
    onServer:
      "This page is open on a server, not on localhost: register {{uri}} instead of the guide's http://localhost (https is required).",
  },
  copy: { button: 'Copy', done: 'Copied', failed: 'Could not copy. Select the text and copy it.' },
  button: {
    signIn: 'Sign in',
    signOut: 'Sign out',
    cancel: 'Cancel',
    send: 'Send test email',
    save: 'Save',
    export: 'Export',
    import: 'Import',
    reset: 'Reset',
  },
  settings: {
    saved: 'Saved ({{time}}).',
    savedSecret: 'The client secret was saved on this device too.',
    notSaved: 'Not saved: some fields are invalid. Check the fields marked in red.',
    reset: 'Settings reset to their defaults.',
    resetConfirm: 'Reset all settings to their defaults?',
    exportSecrets: 'Include secrets and passwords in the export',
    exported: 'Exported.',
    imported: 'Imported.',
    importFailed: 'Cannot import: {{reason}}',
    loadedOld: 'Loaded settings saved in an older format.',
    secretExpired: 'The client secret expired on {{date}}. Create a new secret in Entra.',
    secretExpiring: 'The client secret expires in {{days}} days ({{date}}). Prepare a new one.',
    fillExpiry: 'Enter 6 months from today',
    secretNoDate: 'No expiry date entered. By default a secret expires 6 months after creation.',
    status: 'Status',
    toGateway: 'Use these settings for a gateway mailbox',
    authorityUnreachable:
      "This PC's browser cannot reach {{host}}. Check the network, proxy or firewall (sign-in cannot work like this).",
  },
  error: {
    required: 'Required.',
    host: 'Enter a host name such as smtp.office365.com (not a URL).',
    port: 'Enter a whole number from 1 to 65535 (Microsoft 365 uses 587).',
    guid: 'Not a GUID (e.g. 00000000-0000-0000-0000-000000000000).',
    secretLooksLikeId: "This looks like the secret's ID (a GUID). Enter its Value.",
    address: 'Not an e-mail address (e.g. user@contoso.com or Name <user@contoso.com>).',
    url: 'Not a URL.',
    https: 'Use an https URL.',
    placeholder: 'Replace {YourTenantId} with the Directory (tenant) ID.',
    authorizePath: 'The path does not end in …/oauth2/v2.0/authorize.',
    tokenPath: 'The path does not end in …/oauth2/v2.0/token.',
    sameTenant: 'The authorization and token endpoints differ in tenant or host.',
    date: 'Not a date.',
    expiryTooLong: 'Entra client secrets last at most 2 years.',
    securityPort: 'Port 465 normally uses SSL/TLS, port 587 StartTLS.',
    json: 'Not valid JSON.',
    notSettings: 'Not a mailkey settings file.',
    newerVersion: 'Written by a newer version of mailkey.',
  },
}
