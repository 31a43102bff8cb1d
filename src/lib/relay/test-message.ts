/**
 * The /api/send request of [メール送信テスト]: the settings' server and addresses, the auth the
 * settings choose, and a default subject and body in the page's language naming the time and
 * mailkey. Pure; the caller supplies translations, the time and the token.
 *
 * @module
 */
import type { Attachment, SendAuth, SendRequest } from '../contract/api.ts'
import type { Settings } from '../settings/model.ts'

export interface Texts {
  subject: string
  body: string
}

/** The SASL auth for the settings; `token` is required for OAuth 2.0. */
export function sendAuth(s: Settings, token?: { token: string; user: string }): SendAuth {
  switch (s.authType) {
    case 'none':
      return { type: 'none' }
    case 'password':
      // LOGIN is what Microsoft 365 offers for passwords; PLAIN is equivalent over TLS.
      return { type: 'login', user: s.user.trim(), password: s.password }
    case 'oauth2':
      if (!token) throw new Error('An access token is required for OAuth 2.0')
      // user= must be the signed-in account, not the From address (M365-FACTS §2.1, shared mailboxes).
      return { type: 'xoauth2', user: token.user, accessToken: token.token }
  }
}

export function testRequest(
  s: Settings,
  auth: SendAuth,
  texts: Texts,
  attachment?: Attachment,
): SendRequest {
  return {
    // A new connection every time: the admin sees the whole dialogue, greeting to QUIT.
    smtp: { host: s.host.trim(), port: Number(s.port), security: s.security, reuse: false },
    auth,
    message: {
      from: s.from.trim(),
      to: [s.to.trim()],
      subject: texts.subject,
      text: texts.body,
      ...(attachment && { attachments: [attachment] }),
    },
  }
}
