/**
 * Errors shaped the way Entra ID's v2.0 endpoints answer them (JSON at the token endpoint,
 * query/fragment parameters at the authorize endpoint), with the AADSTS texts of
 * entra-docs `reference-error-codes.md`. The page's diagnosis keys on `error_codes`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto'

export interface EntraError {
  error: string
  error_description: string
  error_codes: number[]
  timestamp: string
  trace_id: string
  correlation_id: string
  error_uri: string
}

/** Entra prints timestamps as `2026-11-26 12:00:00Z`. */
function entraTimestamp(now = new Date()): string {
  return now.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/**
 * Builds an Entra error body. The description starts with `AADSTSnnnn: ` and, like Entra's,
 * ends with the trace ID, correlation ID and timestamp, each on its own CRLF-separated line.
 */
export function entraError(
  code: number,
  error: string,
  text: string,
  errorUriBase: string,
  correlationId: string = randomUUID()
): EntraError {
  const traceId = randomUUID()
  const timestamp = entraTimestamp()
  return {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${errorUriBase}/error?code=${code}`,
  }
}

/** HTTP status Entra uses for an error: 401 for client authentication, else 400. */
export function entraStatus(error: string): number {
  return error === 'invalid_client' ? 401 : 400
}

/** The texts, by code, with the values they name. */
export const AADSTS = {
  secretExpired: (appId: string) =>
    [
      7000222,
      'invalid_client',
      `The provided client secret keys for app '${appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    ] as const,
  secretIdSent: (appId: string) =>
    [
      7000215,
      'invalid_client',
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
    ] as const,
  secretMissing: () =>
    [
      7000218,
      'invalid_client',
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ] as const,
  publicClientWithSecret: () =>
    [
      700025,
      'invalid_client',
      "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    ] as const,
  redirectMismatch: (redirectUri: string, appId: string) =>
    [
      50011,
      'invalid_request',
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    ] as const,
  crossOriginWebApp: (origin: string) =>
    [
      9002326,
      'invalid_request',
      `Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '${origin}'.`,
    ] as const,
  spaWithoutOrigin: () =>
    [
      9002327,
      'invalid_request',
      "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
    ] as const,
  implicitTokenDisabled: () =>
    [700051, 'unsupported_response_type', "response_type 'token' is not enabled for the application."] as const,
  implicitIdTokenDisabled: () =>
    [700054, 'unsupported_response_type', "response_type 'id_token' is not enabled for the application."] as const,
  consentMissing: (appId: string, appName: string, error = 'invalid_grant') =>
    [
      65001,
      error,
      `The user or administrator has not consented to use the application with ID '${appId}' named '${appName}'. Send an interactive authorization request for this user and resource.`,
    ] as const,
  appNotFound: (appId: string, tenantId: string) =>
    [
      700016,
      'unauthorized_client',
      `Application with identifier '${appId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ] as const,
  invalidScope: (scope: string) =>
    [
      70011,
      'invalid_scope',
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} does not exist.`,
    ] as const,
  badCode: () =>
    [70000, 'invalid_grant', "The provided value for the 'code' parameter is not valid."] as const,
  codeRedeemed: () =>
    [54005, 'invalid_grant', 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.'] as const,
  pkceMismatch: () =>
    [501481, 'invalid_grant', 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'] as const,
  badRefreshToken: () =>
    [9002313, 'invalid_grant', 'Invalid request. Request is malformed or invalid.'] as const,
  missingScope: () =>
    [900144, 'invalid_request', "The request body must contain the following parameter: 'scope'."] as const,
  unknownUser: (tenantId: string) =>
    [
      50034,
      'invalid_grant',
      `The user account {EUII Hidden} does not exist in the ${tenantId} directory. To sign into this application, the account must be added to the directory.`,
    ] as const,
  notMultiTenant: (appId: string, appName: string) =>
    [
      50194,
      'invalid_request',
      `Application '${appId}'(${appName}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
    ] as const,
  tenantNotFound: (tenant: string) =>
    [
      90002,
      'invalid_request',
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    ] as const,
  accountDisabled: () => [50057, 'invalid_grant', 'The user account is disabled.'] as const,
  badPassword: () =>
    [50126, 'invalid_grant', 'Error validating credentials due to invalid username or password.'] as const,
  appOnlyScopeNotDefault: (scope: string) =>
    [
      1002012,
      'invalid_scope',
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ] as const,
  scopeNotValid: (scope: string) =>
    [
      70011,
      'invalid_scope',
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    ] as const,
  resourceNotFound: (resource: string, tenant: string) =>
    [
      500011,
      'invalid_resource',
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ] as const,
  signInFrequency: (issuedAt: string) =>
    [
      70043,
      'invalid_grant',
      `The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on ${issuedAt} and the maximum allowed lifetime for this request is 0.`,
    ] as const,
  devicePending: () =>
    [70016, 'authorization_pending', 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.'] as const,
  /** Entra documents no code of its own for slow_down; the sandbox keeps the device flow's 70016. */
  deviceSlowDown: (interval: number) =>
    [
      70016,
      'slow_down',
      `OAuth 2.0 device flow error. Polling too fast: wait at least ${interval} seconds between requests.`,
    ] as const,
  deviceExpired: () =>
    [
      70020,
      'expired_token',
      "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
    ] as const,
  /** The user chose Cancel on the verification page (the text Entra gives a declined consent). */
  deviceDeclined: () => [65004, 'authorization_declined', 'User declined to consent to access the app.'] as const,
  deviceCodeInvalid: () =>
    [70000, 'invalid_grant', "The provided value for the input parameter 'device_code' is not valid."] as const,
  generic: (error: string, description: string) => {
    // An answer that already names its AADSTS code (e.g. 65001 from the sign-in) keeps it.
    const m = /^AADSTS(\d+): ([\s\S]*)$/.exec(description)
    return m ? ([Number(m[1]), error, m[2] ?? ''] as const) : ([90000, error, description] as const)
  },
}

export type AadstsTuple = readonly [number, string, string]
