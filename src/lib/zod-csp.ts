/**
 * Zod 4 compiles object parsers with `new Function` unless told not to; under the page's strict
 * CSP (no 'unsafe-eval') even its guarded probe is reported as a violation. Import this module
 * before anything that parses with the contract's schemas.
 *
 * @module
 */
import { z } from 'zod'

z.config({ jitless: true })
