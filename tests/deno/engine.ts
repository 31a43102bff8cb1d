/**
 * Runs the engine's integration scenarios under Deno against peers started by
 * `tests/integration/engine.test.ts` (ENGINE_PEERS holds their ports and CA as JSON). Prints
 * one JSON line per scenario: `{ name, ok, error?, delivered }`.
 */
import { type PeerEnv, scenarios } from '../integration/engine-scenarios.ts'

const env: PeerEnv = { ...JSON.parse(Deno.env.get('ENGINE_PEERS') ?? '{}'), runtime: 'deno' }
for (const scenario of scenarios) {
  try {
    const delivered = await scenario.run(env)
    console.log(JSON.stringify({ name: scenario.name, ok: true, delivered }))
  } catch (e) {
    console.log(
      JSON.stringify({ name: scenario.name, ok: false, error: String((e as Error)?.stack ?? e) })
    )
  }
}
