/**
 * Start-up errors of the sandbox's servers, worded for the person starting the relay.
 *
 * @module
 */
/** A listen failure worded for the person starting the relay: which port, and how to change it. */
export function listenError(err: unknown, what: string, port: number, envName: string): Error {
  const code = (err as { code?: string }).code ?? String(err)
  return new Error(
    `The sandbox ${what} cannot listen on 127.0.0.1:${port} (${code}). Set ${envName} to a free port, or 0 for any.`,
    { cause: err }
  )
}
