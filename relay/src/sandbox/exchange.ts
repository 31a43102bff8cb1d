/**
 * What Exchange Online checks before it lets an app-only token submit for a mailbox: the
 * service principal registered with `New-ServicePrincipal` (the Enterprise application's object
 * ID, which the token carries as `oid`) and FullAccess on the mailbox from `Add-MailboxPermission`
 * (M365-FACTS §4.2). Either missing gives `535 5.7.3 Authentication unsuccessful`.
 *
 * @module
 */
import type { Switches } from './switches.ts'
import { EXCHANGE_APP_SETUP, findAccountByUpn, WEB_APP, type SandboxAccount } from './tenant.ts'

/** Why Exchange refuses an app token for a mailbox (all answered `535 5.7.3`). */
export type AppRefusal = 'no-service-principal' | 'no-mailbox' | 'no-full-access'

/**
 * The mailbox an app (its `appid` and `oid`) may submit as, or why not. `mailbox` is the
 * XOAUTH2 `user=`.
 */
export function appMailbox(
  appId: string,
  oid: string,
  mailbox: string,
  switches: Switches
): { ok: true; account: SandboxAccount } | { ok: false; reason: AppRefusal } {
  const registered = EXCHANGE_APP_SETUP.servicePrincipalRegistered && !switches.servicePrincipalMissing
  // Exchange knows one service principal: this app's, under its Enterprise application object ID.
  if (!registered || appId !== WEB_APP.clientId || oid !== WEB_APP.servicePrincipalObjectId) {
    return { ok: false, reason: 'no-service-principal' }
  }
  const account = findAccountByUpn(mailbox)
  if (!account) return { ok: false, reason: 'no-mailbox' }
  const granted =
    !switches.mailboxPermissionMissing &&
    EXCHANGE_APP_SETUP.fullAccessMailboxes.some((m) => m.toLowerCase() === account.upn.toLowerCase())
  return granted ? { ok: true, account } : { ok: false, reason: 'no-full-access' }
}
