/**
 * OAUTHBEARER (RFC 7628): a GS2 header `n,a=<user>,` then `^Aauth=Bearer <token>^A^A`.
 *
 * @module
 */
import { base64, decodeErrorChallenge, type SaslMechanism, utf8 } from './types.ts'

/** RFC 5801 §4: `,` and `=` in the authzid are written `=2C` and `=3D`. */
const saslName = (user: string) => user.replace(/=/g, '=3D').replace(/,/g, '=2C')

export function oauthbearer(user: string, accessToken: string): SaslMechanism {
  const initial = `n,a=${saslName(user)},\x01auth=Bearer ${accessToken}\x01\x01`
  return {
    name: 'OAUTHBEARER',
    secrets: [accessToken, base64(initial)],
    initial: () => utf8(initial),
    // RFC 7628 §3.2.2: the server's error is a JSON challenge; the client answers with a
    // single ^A (kvsep) and the server then fails the exchange.
    next: (challenge) => ({ response: utf8('\x01'), serverError: decodeErrorChallenge(challenge) }),
  }
}
