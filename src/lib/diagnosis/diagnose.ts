/**
 * Turns any failure of sign-in or test-send into a diagnosis: the catalogue entry of its cause
 * and the codes that explain it (SMTP reply and enhanced code, AADSTS code, relay code, browser
 * failure), plus the redacted transcript when the relay sent one.
 *
 * @module
 */
import type { ErrorBody, TranscriptLine } from '../contract/api.ts'
import { explainAadsts, explainSmtpReply, type M365Explanation } from '../contract/m365.ts'
import { AuthFailure } from '../auth/errors.ts'
import { RelayError, RelayUnreachable } from '../relay/client.ts'
import { CAUSES, type Cause } from './catalogue.ts'
import { PageProblem } from './problem.ts'

export { PageProblem }

export interface Diagnosis {
  cause: Cause
  /** Shown as they are: `535 5.7.139`, `AADSTS7000222`, `AUTH_FAILED`, `popup_closed`. */
  codes: string[]
  /** A non-secret detail from the server or the library (English, as received). */
  detail?: string | undefined
  /** The relay's English summary beside the server's own words: shown in English only. */
  gloss?: string | undefined
  transcript?: TranscriptLine[] | undefined
}

const byM365 = new Map<string, Cause>()
const byRelay = new Map<string, Cause>()
const byBrowser = new Map<string, Cause>()
for (const c of CAUSES) {
  for (const id of c.m365 ?? []) byM365.set(id, c)
  for (const code of c.relay ?? []) byRelay.set(code, c)
  for (const code of c.browser ?? []) byBrowser.set(code, c)
}

export function causeById(id: string): Cause | undefined {
  return CAUSES.find((c) => c.id === id)
}

function fallback(): Cause {
  return byBrowser.get('unexpected') as Cause
}

/**
 * The cause for an entry of the Microsoft 365 table: its catalogue entry, or, for an entry added
 * to the table after the catalogue was written, one built from the table's English text and step
 * (the catalogue test asks for the translation).
 */
function causeOf(m: M365Explanation): Cause {
  const known = byM365.get(m.id)
  if (known) return known
  return {
    id: m.id,
    what: { ja: `Microsoft 365 / Entra のエラーです: ${m.summary}`, en: m.summary },
    cause: { ja: m.summary, en: m.summary },
    fix: { ja: m.hint, en: m.hint },
    step: m.seedStep,
  }
}

/** The cause for a relay error answer: by SMTP reply, then AADSTS code, then relay code. */
export function diagnoseRelay(body: ErrorBody): Diagnosis {
  const { error } = body
  const codes: string[] = []
  let cause: Cause | undefined
  if (error.smtp) {
    codes.push([error.smtp.code, error.smtp.enhanced].filter(Boolean).join(' '))
    const m = explainSmtpReply(error.smtp)
    if (m) cause = causeOf(m)
  }
  if (error.aadsts) {
    codes.push(error.aadsts)
    const m = explainAadsts(error.aadsts)
    if (m && !cause) cause = causeOf(m)
  }
  codes.push(error.code)
  // A lost or broken answer after the whole message was sent says nothing of the server's
  // settings: what matters is that the message may have arrived.
  if (!cause && error.maybeDelivered) cause = causeById('maybe-delivered')
  cause ??= byRelay.get(error.code) ?? fallback()
  // The server's own reply is the detail; the relay's English summary of it is a gloss the
  // catalogue's text already says in the page's language.
  const detail = error.smtp?.text || error.message
  const gloss = error.smtp?.text && error.message !== error.smtp.text ? error.message : undefined
  return { cause, codes, detail, gloss, transcript: body.transcript }
}

/** The cause for a browser-side sign-in failure (AADSTS code first when the IdP named one). */
export function diagnoseAuth(f: AuthFailure): Diagnosis {
  const codes: string[] = []
  let cause: Cause | undefined
  if (f.aadsts) {
    codes.push(f.aadsts)
    const m = explainAadsts(f.aadsts)
    if (m) cause = causeOf(m)
  }
  codes.push(f.code)
  cause ??= byBrowser.get(browserKey(f)) ?? fallback()
  if (f.code === 'authority_unreachable') {
    // The host goes into the texts; it is not a detail from any server.
    return { cause: withVars(cause, { host: f.detail ?? '' }), codes }
  }
  return { cause, codes, detail: f.detail }
}

/** The catalogue key of a browser failure: a cancel and a timeout after a good probe have their own. */
function browserKey(f: AuthFailure): string {
  if (f.code === 'popup_closed' && f.detail === 'cancelled') return 'cancelled'
  if (f.code === 'bridge_timeout' && f.authorityReachable) return 'bridge_timeout_reachable'
  return f.code
}

/** The cause with `{name}` in its texts replaced by `vars.name`. */
function withVars(c: Cause, vars: Record<string, string>): Cause {
  const fill = (s: string) => s.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m)
  const text = (t: Cause['what']) => ({ ja: fill(t.ja), en: fill(t.en) })
  return { ...c, what: text(c.what), cause: text(c.cause), fix: text(c.fix) }
}

/**
 * The codes worth showing an admin: SMTP replies, AADSTS codes and the relay's codes; the
 * page's own failure names (`popup_closed`, `no_token`) say nothing the text does not.
 */
export function shownCodes(d: Diagnosis): string[] {
  return d.codes.filter((c) => !/^[a-z][a-z0-9_]*$/.test(c))
}

/** Any thrown value → its diagnosis. */
export function diagnose(problem: unknown): Diagnosis {
  if (problem instanceof RelayError) return diagnoseRelay(problem.body)
  if (problem instanceof AuthFailure) return diagnoseAuth(problem)
  if (problem instanceof RelayUnreachable) {
    return { cause: byBrowser.get('relay_unreachable') ?? fallback(), codes: ['relay_unreachable'] }
  }
  if (problem instanceof PageProblem) {
    return { cause: byBrowser.get(problem.code) ?? fallback(), codes: [problem.code] }
  }
  const name = problem instanceof Error ? problem.name : typeof problem
  return { cause: fallback(), codes: ['unexpected'], detail: name }
}
