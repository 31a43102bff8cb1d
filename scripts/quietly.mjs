// Runs a build step of `npm start` without showing its output, unless it fails: then its
// output is printed as it came and the step's exit status is returned.
import { spawnSync } from 'node:child_process'

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv, out?: NodeJS.WritableStream, err?: NodeJS.WritableStream }} opts
 * @returns {number} the exit status (0: it worked and printed nothing)
 */
export function quietly(command, args, opts) {
  const run = spawnSync(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (run.status === 0) return 0
  const out = opts.out ?? process.stdout
  const err = opts.err ?? process.stderr
  out.write(run.stdout ?? '')
  err.write(run.stderr ?? '')
  if (run.error) err.write(`${command}: ${run.error.message}\n`)
  return run.status ?? 1
}
