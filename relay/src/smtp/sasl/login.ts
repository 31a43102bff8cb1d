/**
 * LOGIN (draft-murchison-sasl-login): no initial response; the server asks for the user name,
 * then the password. Prompts vary between servers, so the round decides, not the prompt text.
 *
 * @module
 */
import { base64, type SaslMechanism, utf8 } from './types.ts'

export function login(user: string, password: string): SaslMechanism {
  let round = 0
  return {
    name: 'LOGIN',
    secrets: [password, base64(password)],
    initial: () => undefined,
    next: () => {
      round++
      if (round === 1) return { response: utf8(user) }
      if (round === 2) return { response: utf8(password) }
      throw new Error('LOGIN got more than two challenges')
    },
  }
}
