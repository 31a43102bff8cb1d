/**
 * Test support for route tests: an app over a configuration built from env-like overrides,
 * with the log captured instead of printed. Never imported by the relay itself.
 *
 * @module
 */
import { lookup } from 'node:dns/promises'
import { type AppDeps, createApp } from './app.ts'
import { loadConfig } from './config.ts'
import { sendMail } from './smtp/index.ts'

export interface TestApp {
  app: ReturnType<typeof createApp>
  logs: Record<string, unknown>[]
  deps: AppDeps
}

/** Resolves like the relay does: every address of a name. */
export const resolveAll = async (host: string) =>
  (await lookup(host, { all: true })).map((a) => a.address)

export function testApp(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}): TestApp {
  const logs: Record<string, unknown>[] = []
  const deps: AppDeps = {
    config: loadConfig(env),
    runtime: 'node',
    version: '0.0.0-test',
    clientAddress: (c) => c.req.header('X-Test-Client') ?? '192.0.2.1',
    sendMail,
    resolveHost: resolveAll,
    log: (line) => logs.push(line),
    ...extra,
  }
  return { app: createApp(deps), logs, deps }
}

/** JSON POST through `app.request`. */
export function postJson(
  app: TestApp['app'],
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  )
}
