/**
 * English texts of the gateway page's devices, queue, delivery log and counters (same keys as
 * ja-sending.ts).
 *
 * @module
 */
import type { SendingMessages } from './types.ts'

export const enSending: SendingMessages = {
  gws: {
    devices: {
      title: 'Devices',
      intro:
        'Register each printer, scanner or script on its own. Each device gets its own username and password (or allowed IP addresses, or an API key) and sends to Microsoft 365 through the mailbox you choose.',
      none: 'No devices yet. Register one under “Add a device” below.',
      noMailbox: 'Create a mailbox first; a device sends through one.',
      loadFailed: 'The devices and the queue could not be loaded.',
      mailboxGone: '(a deleted mailbox)',
    },
    field: {
      name: 'Device name',
      nameHint: 'A name you will recognise (e.g. Printer 2nd floor).',
      mailbox: 'Mailbox to send through',
      methods: 'How this device is let in',
      smtpAuth: 'SMTP AUTH (a username and password of its own)',
      allowIps: 'By IP address (for devices without authentication settings)',
      allowIpsList: 'Allowed IP addresses or CIDR ranges',
      allowIpsHint: 'One a line, e.g. 192.0.2.15, 192.0.2.0/24',
      apiKey: 'API key (scripts sending over HTTP)',
      fromPolicy: 'Sender (From)',
      fromMailbox: 'The mailbox’s address (recommended; the device’s From is kept as Reply-To)',
      fromKeep: 'As the device sets it (the mailbox needs Send As for it)',
      created: 'Registered',
      lastUsed: 'Last used',
      never: 'Not used yet',
      policyMailbox: 'The mailbox’s address',
      policyKeep: 'The device’s From',
    },
    error: {
      name: 'Enter a device name (at most 100 characters).',
      mailboxId: 'Choose a mailbox.',
      allowIps: 'Enter at least one IP address or CIDR range (e.g. 192.0.2.0/24).',
      methods: 'Choose at least one of SMTP AUTH, IP addresses or an API key.',
    },
    button: {
      create: 'Register device',
      print: 'Print setup card',
      delete: 'Delete',
      retry: 'Retry',
      dismiss: 'Hide',
    },
    create: {
      title: 'Add a device',
      working: 'Registering…',
      failed: 'The device could not be registered.',
      done: 'Device “{{name}}” registered.',
      once:
        'The password and API key are shown only now. The relay keeps only their hashes, so they cannot be shown again: type them into the device now, or print the setup card.',
    },
    panel: {
      title: 'Values to type into the device’s panel',
      host: 'SMTP server (host name)',
      hostGuessed:
        'This is the name you opened this page with. Check that the device reaches the relay’s machine by this name or IP address.',
      loopback:
        'This listener is on a loopback address: only the relay’s own machine reaches it. For devices on the LAN, start the relay with e.g. RELAY_INGRESS=0.0.0.0:{{port}}/starttls.',
      port: 'Port',
      security: 'Encryption (SSL/TLS)',
      auth: 'SMTP AUTH',
      authOn: 'On (PLAIN or LOGIN)',
      authOff: 'Off (allowed by IP address)',
      username: 'Username',
      password: 'Password',
      passwordGone: 'Shown once when the device was registered. If it is lost, delete this device and register it again.',
      from: 'Sender address',
      fromRewritten: 'Any address: the relay replaces it with the mailbox’s address.',
      fromKept: 'Use an address the mailbox may Send As.',
      allowIps: 'Allowed IP addresses',
      apiKey: 'API key',
      apiKeyGone: 'The API key was shown once when the device was registered.',
      script: 'Sending from a script (with the API key in MAILKEY_API_KEY)',
      fingerprint: 'Ingress certificate (SHA-256 fingerprint)',
      fingerprintHint: 'On devices that show the certificate, check that it matches this value.',
      noIngress: 'This relay does not run the SMTP ingress (RELAY_INGRESS); only the script API is available.',
      listener: 'Listener {{n}}',
      recommended: 'Listener {{n}} (recommended)',
    },
    security: {
      starttls: 'STARTTLS',
      tls: 'SSL/TLS',
      none: 'None (no encryption)',
    },
    card: {
      title: 'mailkey sending setup card',
      device: 'Device',
      mailbox: 'Mailbox',
      printed: 'Made',
    },
    remove: {
      confirm: 'Delete device “{{name}}”? It will no longer be able to send.',
      done: 'Device “{{name}}” deleted.',
      failed: 'The device could not be deleted.',
    },
    counters: {
      title: 'Messages per mailbox',
      intro:
        'Microsoft 365 allows each mailbox 10,000 recipients a day (24 hours) and 30 messages a minute; beyond that it delays or refuses sending. The relay sends at most {{rate}} messages a minute.',
      sentToday: 'Sent today',
      waiting: 'Waiting',
      failed: 'Failed',
      recipients: 'Recipients, 24 h',
      perMinute: 'Last minute',
      count: '{{n}} messages',
      of: '{{used}} / {{limit}} ({{percent}}%)',
      near: 'Close to the limit.',
      over: 'The limit is reached; Microsoft delays or refuses sending.',
    },
    queue: {
      title: 'Queue',
      intro: 'Messages the relay accepted and has not yet delivered to Microsoft 365.',
      none: 'No messages waiting.',
      live: 'Updated every few seconds while messages are on their way, every 10 seconds otherwise.',
    },
    log: {
      title: 'Delivery log',
      none: 'Nothing delivered yet.',
      shown: 'Showing the newest {{n}}.',
    },
    state: {
      queued: 'Queued',
      sending: 'Sending',
      sent: 'Delivered',
      retrying: 'Waiting to retry',
      failed: 'Failed',
    },
    msg: {
      from: 'From',
      to: 'To',
      mailbox: 'Mailbox',
      device: 'Device',
      noDevice: '— (the relay’s failure notice, or a deleted device)',
      size: 'Size',
      created: 'Accepted',
      sent: 'Delivered',
      attempts: 'Attempts',
      next: 'Next attempt',
      reply: 'Server reply',
      noSubject: '(no subject)',
      duplicate: 'Possible duplicate',
      duplicateHelp:
        'The server’s reply was lost after the message was sent, so it was sent again: the recipients may have it twice.',
      retryingHelp: 'A temporary failure: the relay retries by itself. [Retry] sends it now.',
      failedHelp:
        'Delivery was given up and a failure notice sent to the mailbox. Fix the cause, then press [Retry].',
      retryDone: 'Sending again.',
      retryFailed: 'Could not retry.',
      removeConfirm: 'Delete this message from the queue? “{{subject}}”',
      removeFailed: 'Could not delete.',
    },
  },
}
