/**
 * XOAUTH2 (Google's and Microsoft's OAuth 2.0 SASL mechanism, M365-FACTS §2.2):
 * `user=<user>^Aauth=Bearer <token>^A^A` as the initial response.
 *
 * @module
 */
import { base64, decodeErrorChallenge, type SaslMechanism, utf8 } from './types.ts'

export function xoauth2(user: string, accessToken: string): SaslMechanism {
  const initial = `user=${user}\x01auth=Bearer ${accessToken}\x01\x01`
  return {
    name: 'XOAUTH2',
    secrets: [accessToken, base64(initial)],
    initial: () => utf8(initial),
    // A 334 after the initial response is an error challenge (base64 JSON such as
    // {"status":"401",...}); the client must answer with an empty line, and the server
    // then sends the final 535/454.
    next: (challenge) => ({
      response: new Uint8Array(0),
      serverError: decodeErrorChallenge(challenge),
    }),
  }
}
