/**
 * The small part of oidc-provider 8's API the sandbox uses (the package ships no types).
 * Koa contexts stay loosely typed: the sandbox only reads a few well-known fields.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  /* eslint-disable @typescript-eslint/no-explicit-any */
  export type KoaContext = any
  export type KoaNext = () => Promise<void>

  export interface InteractionDetails {
    uid: string
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> }
    params: Record<string, string | undefined>
    session?: { accountId?: string }
    grantId?: string
    lastSubmission?: Record<string, unknown>
  }

  export interface GrantInstance {
    accountId: string
    clientId: string
    addOIDCScope(scope: string): void
    addResourceScope(resource: string, scope: string): void
    getOIDCScope(): string
    getResourceScope(resource: string): string
    save(): Promise<string>
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    issuer: string
    proxy: boolean
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    use(middleware: (ctx: KoaContext, next: KoaNext) => Promise<void>): void
    on(event: string, listener: (...args: any[]) => void): void
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean }
    ): Promise<void>
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean }
    ): Promise<string>
    Grant: {
      new (props: { accountId: string; clientId: string }): GrantInstance
      find(id: string): Promise<GrantInstance | undefined>
    }
  }

  export const interactionPolicy: {
    base(): any
    Check: any
    Prompt: any
  }
  export type ProviderErrorClass = new (description?: string, detail?: string) => Error
  export const errors: {
    InvalidTarget: ProviderErrorClass
    InvalidGrant: ProviderErrorClass
    InvalidRequest: ProviderErrorClass
    AccessDenied: ProviderErrorClass
    /** `error` and `error_description` as given (status 400). */
    CustomOIDCProviderError: new (error: string, description: string) => Error
  }
  export default Provider
}
