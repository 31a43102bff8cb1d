import { describe, expect, it } from 'vitest'
import { freePort } from '../../../tests/helpers/ports.ts'
import { discoveryUrl, probeAuthority } from './reach.ts'

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47'

describe('authority probe', () => {
  it("asks for the authority's discovery document, only on hosts the page's CSP allows", () => {
    expect(String(discoveryUrl(`https://login.microsoftonline.com/${TID}/oauth2/V2.0/authorize`))).toBe(
      `https://login.microsoftonline.com/${TID}/v2.0/.well-known/openid-configuration`
    )
    expect(String(discoveryUrl(`https://localhost:8788/${TID}/oauth2/v2.0/authorize`))).toBe(
      `https://localhost:8788/${TID}/v2.0/.well-known/openid-configuration`
    )
    expect(discoveryUrl('https://login.example.com/t/oauth2/v2.0/authorize')).toBeUndefined()
    expect(discoveryUrl('http://localhost:8788/t/oauth2/v2.0/authorize')).toBeUndefined()
    expect(discoveryUrl('not a url')).toBeUndefined()
  })

  it('calls a closed port unreachable, naming host and port; other hosts unknown', async () => {
    const port = await freePort()
    expect(await probeAuthority(`https://localhost:${port}/${TID}/oauth2/v2.0/authorize`)).toEqual({
      kind: 'unreachable',
      host: `localhost:${port}`,
    })
    expect(await probeAuthority('https://login.example.com/t/oauth2/v2.0/authorize')).toEqual({ kind: 'unknown' })
  })
})
