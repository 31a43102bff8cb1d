/**
 * The sign-in state machine the page shows:
 *
 *   signedOut ──start──▶ signingIn ──success──▶ signedIn ──renew──▶ renewing ──success──▶ signedIn
 *       ▲                    │                     │                   │
 *       │                  fail                 expire               fail
 *       │                    ▼                     ▼                   ▼
 *       └────signOut──── failed ◀──────────── expired ◀───────────────┘
 *
 * `signOut` leads back to signedOut from any state; `start` is allowed from every state but
 * signingIn. Pure: timers and tokens live in session.svelte.ts.
 *
 * @module
 */
import type { TokenMode } from '../settings/model.ts'

export interface Account {
  account: string
  expiresAt: number
  scopes: string[]
  mode: TokenMode
}

export type AuthState =
  | { kind: 'signedOut' }
  | { kind: 'signingIn'; mode: TokenMode }
  | ({ kind: 'signedIn' } & Account)
  | ({ kind: 'renewing' } & Account)
  | ({ kind: 'expired' } & Account)
  | { kind: 'failed'; mode: TokenMode; problem: unknown }

export type AuthEvent =
  | { type: 'start'; mode: TokenMode }
  | { type: 'success'; account: Account }
  | { type: 'fail'; problem: unknown }
  | { type: 'renew' }
  | { type: 'expire' }
  | { type: 'signOut' }

/** The next state, or the same state object when the event does not apply. */
export function next(state: AuthState, event: AuthEvent): AuthState {
  switch (event.type) {
    case 'signOut':
      return { kind: 'signedOut' }
    case 'start':
      return state.kind === 'signingIn' ? state : { kind: 'signingIn', mode: event.mode }
    case 'success':
      return state.kind === 'signingIn' || state.kind === 'renewing' || state.kind === 'expired'
        ? { kind: 'signedIn', ...event.account }
        : state
    case 'fail': {
      if (state.kind === 'signingIn') return { kind: 'failed', mode: state.mode, problem: event.problem }
      // A failed renewal leaves the old token to run out; the diagnosis is shown on sign-in again.
      if (state.kind === 'renewing') return { kind: 'failed', mode: state.mode, problem: event.problem }
      return state
    }
    case 'renew':
      return state.kind === 'signedIn' || state.kind === 'expired' ? { ...state, kind: 'renewing' } : state
    case 'expire':
      return state.kind === 'signedIn' ? { ...state, kind: 'expired' } : state
  }
}

/** Renew this long before expiry (Entra tokens live 60–90 minutes). */
export const RENEW_BEFORE_MS = 5 * 60 * 1000

/**
 * When to renew a token valid until `expiresAt`, obtained at `now`: five minutes before expiry,
 * or at 80 % of its life for short-lived tokens (the sandbox can issue them).
 */
export function renewAt(expiresAt: number, now: number): number {
  const life = expiresAt - now
  return life > RENEW_BEFORE_MS * 2 ? expiresAt - RENEW_BEFORE_MS : now + Math.max(0, life * 0.8)
}

/**
 * True when the token of `state` is to be renewed at `now`, its renewal being due at `due`: the
 * mode can renew (not implicit), no renewal is running or failed, and the time has come. The
 * one-second clock asks this too, because a renewal timer can fire late: background tabs throttle
 * timers, and a computer waking from sleep may run them later by the time it slept, when the
 * token has already run out (then `expired` is renewed as well).
 */
export function renewIsDue(state: AuthState, now: number, due: number): boolean {
  const held = state.kind === 'signedIn' || state.kind === 'expired'
  return held && state.mode !== 'implicit' && now >= due
}

/** Whole minutes and seconds left, never negative. */
export function timeLeft(expiresAt: number, now: number): { m: number; s: number } {
  const total = Math.max(0, Math.floor((expiresAt - now) / 1000))
  return { m: Math.floor(total / 60), s: total % 60 }
}
