/**
 * The SASL mechanism for the caller's `auth` option.
 *
 * @module
 */
import type { SendAuth } from '../types.ts'
import { login } from './login.ts'
import { oauthbearer } from './oauthbearer.ts'
import { plain } from './plain.ts'
import type { SaslMechanism } from './types.ts'
import { xoauth2 } from './xoauth2.ts'

export type { SaslMechanism, SaslStep } from './types.ts'
export { base64 } from './types.ts'

/** The mechanism for `auth`, or undefined for `type: 'none'`. */
export function mechanismFor(auth: SendAuth): SaslMechanism | undefined {
  switch (auth.type) {
    case 'xoauth2':
      return xoauth2(auth.user, auth.accessToken)
    case 'oauthbearer':
      return oauthbearer(auth.user, auth.accessToken)
    case 'plain':
      return plain(auth.user, auth.password)
    case 'login':
      return login(auth.user, auth.password)
    case 'none':
      return undefined
  }
}
