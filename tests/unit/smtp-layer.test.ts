/**
 * The SMTP engine is protocol only (README, Architecture): nothing under relay/src/smtp/ imports
 * the HTTP contract (src/lib/contract), the relay's HTTP layer (relay/src/http), the gateway
 * (relay/src/gateway) or Hono, directly or through the files it imports. The engine's own files
 * are followed through every relative import; its tests are checked for their direct imports
 * (they may use the test helpers, which are not the engine).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/relay-process.ts'

const ENGINE = join(ROOT, 'relay', 'src', 'smtp')

/** Folders of the repository no engine file may import from. */
const FORBIDDEN_DIRS = ['src/lib/contract', 'relay/src/http', 'relay/src/gateway'].map((d) =>
  join(ROOT, d)
)
/** Packages the engine may not import: Hono and its adapters. */
const FORBIDDEN_PACKAGE = /^(?:hono(?:\/|$)|@hono\/|npm:hono(?:@|\/|$)|jsr:@hono\/)/

/**
 * Every module specifier of a TypeScript source: static, re-export, side-effect and dynamic
 * (comments dropped first: doc examples quote imports of other folders).
 */
function specifiers(text: string): string[] {
  const source = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const found: string[] = []
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  for (const pattern of patterns) {
    for (const m of source.matchAll(pattern)) found.push(m[1] as string)
  }
  return found
}

/** Why `specifier`, imported by the file at `from`, is not allowed in the engine; or undefined. */
function forbidden(specifier: string, from: string): string | undefined {
  if (FORBIDDEN_PACKAGE.test(specifier)) return `${specifier} (Hono)`
  if (!specifier.startsWith('.')) return undefined
  const target = resolve(dirname(from), specifier)
  const dir = FORBIDDEN_DIRS.find((d) => target === d || target.startsWith(d + '/'))
  return dir ? relative(ROOT, target) : undefined
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Every forbidden import reached from `start`, following relative imports (with the path). */
function reach(start: string, follow: boolean): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  const visit = (file: string, via: string[]) => {
    if (seen.has(file)) return
    seen.add(file)
    const chain = [...via, relative(ROOT, file)]
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const why = forbidden(spec, file)
      if (why) problems.push(`${chain.join(' → ')} imports ${why}`)
      else if (follow && spec.startsWith('.') && spec.endsWith('.ts')) {
        visit(resolve(dirname(file), spec), chain)
      }
    }
  }
  visit(start, [])
  return problems
}

describe('the SMTP engine imports nothing of HTTP', () => {
  const files = filesUnder(ENGINE)

  it('finds the engine', () => {
    expect(files.map((f) => relative(ENGINE, f))).toEqual(
      expect.arrayContaining(['errors.ts', 'send.ts', 'types.ts', 'sasl/index.ts'])
    )
  })

  it('recognises every form of a forbidden import (the check can fail)', () => {
    const at = join(ENGINE, 'errors.ts')
    const sample = [
      "import type { ErrorCode } from '../../../src/lib/contract/api.ts'",
      "import { ApiError } from '../http/errors.ts'",
      "export { x } from '../gateway/store.ts'",
      "import { Hono } from 'hono'",
      "import { HTTPException } from 'hono/http-exception'",
      "import { serve } from '@hono/node-server'",
      "import { Reply } from './types.ts'",
      "import net from 'node:net'",
      "const m = await import('../http/log.ts')",
    ].join('\n')
    expect(specifiers(sample).map((s) => forbidden(s, at) ?? 'ok')).toEqual([
      'src/lib/contract/api.ts',
      'relay/src/http/errors.ts',
      'relay/src/gateway/store.ts',
      'hono (Hono)',
      'hono/http-exception (Hono)',
      '@hono/node-server (Hono)',
      'ok',
      'ok',
      'relay/src/http/log.ts',
    ])
  })

  it('no engine file reaches the contract, http/, gateway/ or Hono', () => {
    const problems = files
      .filter((f) => !f.endsWith('.test.ts'))
      .flatMap((f) => reach(f, true))
    expect([...new Set(problems)]).toEqual([])
  })

  it('no engine test imports them either', () => {
    const problems = files.filter((f) => f.endsWith('.test.ts')).flatMap((f) => reach(f, false))
    expect(problems).toEqual([])
  })
})
