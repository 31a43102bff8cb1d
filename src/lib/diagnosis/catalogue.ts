/**
 * The diagnosis catalogue: one entry per cause, in Japanese and English: what happened, the
 * likely cause, how to fix it, and the setup-guide step that fixes it. Entries are found by the
 * ids of the Microsoft 365 table (contract/m365.ts), by the relay's error code, or by a
 * browser-side failure code (auth/errors.ts). Loaded lazily, only when something failed.
 *
 * @module
 */
import type { ErrorCode } from '../contract/api.ts'
import type { SeedStep } from '../contract/m365.ts'
import type { BrowserFailure } from '../auth/errors.ts'
import { M365_CAUSES } from './causes-m365.ts'
import { PAGE_CAUSES } from './causes-page.ts'

export interface Text {
  ja: string
  en: string
}

export interface Cause {
  id: string
  what: Text
  cause: Text
  fix: Text
  /** The guide step that fixes it (anchor `#step-<step>` of /guide); 'none' for transient causes. */
  step: SeedStep
  /** Ids of contract/m365.ts entries this cause explains. */
  m365?: string[]
  /** Relay error codes this cause explains when no SMTP/AADSTS code says more. */
  relay?: ErrorCode[]
  /** Browser-side failures this cause explains. */
  browser?: (BrowserFailure | 'relay_unreachable' | 'no_token' | 'unexpected' | 'cancelled' | 'bridge_timeout_reachable')[]
}

/** Every cause: Microsoft 365 and Entra answers first, then the relay's and the browser's. */
export const CAUSES: readonly Cause[] = [...M365_CAUSES, ...PAGE_CAUSES]
