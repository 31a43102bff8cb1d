/**
 * Security headers for every answer, through Hono's `secureHeaders`.
 *
 * The CSP header carries only what a `<meta>` CSP cannot (`frame-ancestors`) plus `base-uri`
 * and `object-src`. It must NOT carry `script-src`: the built page has a hash-based CSP meta
 * tag whose hash changes with every build, and both policies would apply (shared/PROVEN.md).
 * No Cross-Origin-Opener-Policy: the MSAL popup and its redirect bridge must keep talking to
 * the page (shared/M365-FACTS.md §3.2). No HSTS: TLS belongs to the reverse proxy in front.
 * Referrer-Policy `same-origin`, not `no-referrer`: under `no-referrer` Chromium sends
 * `Origin: null` on same-origin form posts, which the origin gate must refuse.
 *
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import { secureHeaders } from 'hono/secure-headers'

export const relaySecureHeaders = (): MiddlewareHandler =>
  secureHeaders({
    contentSecurityPolicy: {
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
      objectSrc: ["'none'"],
    },
    xFrameOptions: 'DENY',
    xContentTypeOptions: 'nosniff',
    referrerPolicy: 'same-origin',
    crossOriginOpenerPolicy: false,
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: false,
  })
