/**
 * PLAIN (RFC 4616): `authzid NUL authcid NUL password` as the initial response.
 *
 * @module
 */
import { base64, type SaslMechanism, utf8 } from './types.ts'

export function plain(user: string, password: string): SaslMechanism {
  // The authorization identity is left empty: some servers refuse one (as Nodemailer notes).
  const initial = `\0${user}\0${password}`
  return {
    name: 'PLAIN',
    secrets: [password, base64(initial)],
    initial: () => utf8(initial),
    next: () => {
      throw new Error('PLAIN got a challenge after its initial response')
    },
  }
}
