/**
 * The setup page's password rule (GATEWAY.md: at least 12 characters), counted in characters as
 * a person sees them, not UTF-16 units.
 *
 * @module
 */

/** GATEWAY.md: the administrator's password has at least this many characters. */
export const MIN_PASSWORD = 12

/** Why the chosen password cannot be used yet, or undefined when it can. */
export function passwordProblem(password: string, confirm: string): 'short' | 'mismatch' | undefined {
  if ([...password].length < MIN_PASSWORD) return 'short'
  if (password !== confirm) return 'mismatch'
  return undefined
}
