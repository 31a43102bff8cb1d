// How the relay process is started, wherever it is (npm start, npm run relay, the tests' and the
// bench's relay processes): the memory settings the devices bench showed to matter (README,
// "Bench against email-oauth2-proxy"). Both are start-up options: V8 reads its flags and glibc
// its tunables before any of the relay's code runs.
//
// - `--max-semi-space-size=2` (MB): V8's young generation grows to 2 × 16 MB by default, a
//   throughput setting; the relay's short-lived objects fit in 2 × 2 MB (more scavenges, each
//   shorter). Deno takes it as `--v8-flags=`, with `--expose-gc`: the Deno relay runs a full
//   collection when its RSS has grown by 16 MB (main.deno.ts: Deno's native buffers behind TLS
//   sockets and `node:sqlite` blobs are freed only by one).
// - `MALLOC_ARENA_MAX=2`, `MALLOC_MMAP_THRESHOLD_=131072` (glibc; ignored elsewhere): one malloc
//   arena per thread (TLS, SQLite, the thread pool) each kept its freed 300 KB message buffers,
//   and glibc's threshold for giving large blocks back to the system rises after each one freed,
//   so they ended up in the heap as fragments. Fixed at 128 KiB, a message buffer is mapped and
//   unmapped on its own. A value the operator set is kept.
export const NODE_FLAGS = ['--max-semi-space-size=2']
export const DENO_FLAGS = ['--v8-flags=--max-semi-space-size=2,--expose-gc']
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' }

/** `env` with the malloc settings added where it has none of its own. */
export function relayEnv(env) {
  return { ...MALLOC_ENV, ...env }
}
