/**
 * Start-up errors of the sandbox's servers, worded for the person starting the relay.
 *
 * @module
 */
/** A start-up failure that names the variable to change (`variable`). */
export class SandboxStartError extends Error {
  readonly variable: string
  constructor(variable: string, message: string, cause: unknown) {
    super(message, { cause })
    this.name = 'SandboxStartError'
    this.variable = variable
  }
}

/** A listen failure worded for the person starting the relay: which port, and how to change it. */
export function listenError(err: unknown, what: string, port: number, envName: string): Error {
  const code = (err as { code?: string }).code ?? String(err)
  return new SandboxStartError(
    envName,
    `The sandbox ${what} cannot listen on 127.0.0.1:${port} (${code}). Set ${envName} to a free port, or 0 for any.`,
    err
  )
}
