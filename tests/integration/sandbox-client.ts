/**
 * A small HTTPS client for driving the sandbox IdP the way a browser would, in tests: it
 * trusts the sandbox CA explicitly (certificates really checked), keeps cookies, and never
 * follows redirects by itself so each hop can be inspected.
 */
import { createHash, randomBytes } from 'node:crypto'
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  location?: string
  json<T = Record<string, unknown>>(): T
}

export class Browserish {
  readonly cookies = new Map<string, string>()
  readonly caPem: string
  constructor(caPem: string) {
    this.caPem = caPem
  }

  async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}
  ): Promise<HttpAnswer> {
    const target = new URL(url)
    const body = init.form ? new URLSearchParams(init.form).toString() : undefined
    const headers: Record<string, string> = { ...(init.headers ?? {}) }
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const req = send(
        target,
        { method: init.method ?? (body ? 'POST' : 'GET'), headers, ca: this.caPem, servername: target.hostname },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            for (const cookie of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
              const [pair] = cookie.split(';')
              const eq = pair?.indexOf('=') ?? -1
              if (pair && eq > 0) {
                const name = pair.slice(0, eq).trim()
                const value = pair.slice(eq + 1).trim()
                if (/expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name)
                else this.cookies.set(name, value)
              }
            }
            const text = Buffer.concat(chunks).toString('utf8')
            const location = res.headers.location ? new URL(res.headers.location, target).href : undefined
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              location,
              json: <T,>() => JSON.parse(text) as T,
            })
          })
        }
      )
      req.on('error', reject)
      if (body) req.write(body)
      req.end()
    })
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  return { verifier, challenge }
}

/** Reads OAuth response parameters from a redirect's query or fragment. */
export function responseParams(location: string): URLSearchParams {
  const url = new URL(location)
  return url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams
}

/**
 * Follows an authorize request through the sandbox's login page (form POST) and any further
 * hops on the IdP, up to the redirect that leaves it. Returns that redirect's URL.
 */
export async function signIn(
  client: Browserish,
  authorizeUrl: string,
  upn: string,
  password: string
): Promise<string> {
  const idpOrigin = new URL(authorizeUrl).origin
  let answer = await client.request(authorizeUrl)
  for (let hop = 0; hop < 10; hop++) {
    if (answer.location && !answer.location.startsWith(idpOrigin)) return answer.location
    if (answer.location) {
      answer = await client.request(answer.location)
      continue
    }
    if (answer.status === 200 && answer.text.includes('name="password"')) {
      const action = /<form method="post" action="([^"]+)"/.exec(answer.text)?.[1]
      if (!action) throw new Error('login form without action')
      answer = await client.request(new URL(action.replace(/&amp;/g, '&'), idpOrigin).href, {
        form: { action: 'login', upn, password },
      })
      continue
    }
    throw new Error(`sign-in stopped at HTTP ${answer.status}: ${answer.text.slice(0, 300)}`)
  }
  throw new Error('too many redirects')
}

const formValue = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? ''
const formAction = (html: string) => (/<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '').replace(/&amp;/g, '&')

/**
 * The user's side of the device code flow, in a browser of its own (no sign-in kept from
 * elsewhere): the verification page, the code, [Continue] or [Cancel], then (on Continue) the
 * sandbox sign-in page as `user`. Returns the last page.
 */
export async function verifyDeviceCode(
  caPem: string,
  code: { userCode: string; verificationUri: string },
  choice: 'confirm' | 'abort',
  user: { upn: string; password: string },
  lang?: 'en'
): Promise<HttpAnswer> {
  const b = new Browserish(caPem)
  const entry = await b.request(`${code.verificationUri}${lang ? `?lang=${lang}` : ''}`)
  const action = new URL(formAction(entry.text), code.verificationUri).href
  const confirm = await b.request(action, { form: { xsrf: formValue(entry.text, 'xsrf'), user_code: code.userCode } })
  let answer = await b.request(action, {
    form: { xsrf: formValue(confirm.text, 'xsrf'), user_code: formValue(confirm.text, 'user_code'), [choice]: 'yes' },
  })
  for (let hop = 0; answer.location && hop < 5; hop++) answer = await b.request(answer.location)
  if (choice === 'abort') return answer
  if (!answer.text.includes('name="password"')) throw new Error(`no sign-in page after [Continue]:\n${answer.text.slice(0, 500)}`)
  answer = await b.request(new URL(formAction(answer.text), code.verificationUri).href, {
    form: { action: 'login', upn: user.upn, password: user.password },
  })
  for (let hop = 0; answer.location && hop < 5; hop++) answer = await b.request(answer.location)
  return answer
}
