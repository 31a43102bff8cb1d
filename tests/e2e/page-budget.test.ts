/**
 * The budget of issue 5: initial JavaScript of the page ≤ 60 KB gzipped with MSAL loaded lazily,
 * and the redirect bridge page ≤ 5 KB gzipped, booting nothing else.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/relay-process.ts'
import { ensureBuilt } from './page-harness.ts'
import { measurePageBudget } from './page-budget.ts'

describe('page budget', () => {
  it('keeps the initial JS under 60 KB gz, MSAL out of it, and the bridge under 5 KB gz', () => {
    ensureBuilt()
    const build = join(ROOT, 'build')
    const b = measurePageBudget(build)
    console.log(
      `initial JS ${(b.initialJsGz / 1024).toFixed(1)} KiB gz in ${b.initialFiles.length} files; ` +
        `bridge ${(b.bridgeGz / 1024).toFixed(1)} KiB gz; largest lazy chunk ${(b.largestLazyGz / 1024).toFixed(1)} KiB gz`
    )
    expect(b.initialJsGz).toBeLessThanOrEqual(60 * 1024)
    expect(b.bridgeGz).toBeLessThanOrEqual(5 * 1024)
    // MSAL (about 75 KB gz) is the largest chunk and it is not part of the initial load.
    expect(b.largestLazyGz).toBeGreaterThan(50 * 1024)
    for (const f of b.initialFiles) expect(readFileSync(f, 'utf8')).not.toContain('PublicClientApplication')
    // The bridge page loads only its own script.
    const bridge = readFileSync(join(build, 'redirect-bridge.html'), 'utf8')
    expect(bridge.match(/<script/g)).toHaveLength(1)
    expect(bridge).not.toContain('_app/')
  })
})
