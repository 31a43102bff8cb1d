/**
 * What `npm start` prints under the listening line when the sandbox runs: where to click,
 * which users to sign in with, and how to trust the sandbox CA once (bilingual, Japanese first).
 * Passwords of the sandbox's fixed users are printed on purpose: they exist only in the sandbox
 * and `/api/config` publishes them too.
 *
 * @module
 */
import { join } from 'node:path'
import type { SandboxInfo } from '../../../src/lib/contract/api.ts'

/** The app-only and device code values of the sandbox's Web app (what the gateway asks for). */
function appOnlyLines(info: SandboxInfo): string[] {
  const app = info.appOnly
  if (!app) return []
  return [
    '  ゲートウェイ用 (アプリのみ / デバイス コード) / for the gateway (app-only, device code):',
    `    スコープ / scope: ${app.scope}   roles: ${app.role}`,
    `    サービス プリンシパル (エンタープライズ アプリ) のオブジェクト ID / service principal object ID: ${app.servicePrincipalObjectId}`,
    `    FullAccess: ${app.fullAccessMailboxes.join(', ')}`,
    ...(info.deviceCodeEndpoint
      ? [
          `    デバイス コード / device code: ${info.deviceCodeEndpoint} → ${info.deviceLoginUri ?? ''}`,
          `      Web アプリの「パブリック クライアント フローを許可する」: ${app.allowPublicClientFlows ? 'はい' : 'いいえ'}` +
            ` / the Web app's "Allow public client flows": ${app.allowPublicClientFlows ? 'Yes' : 'No'}` +
            ' (Entra needs it for the device code flow)',
        ]
      : []),
    '',
  ]
}

export function sandboxWelcome(publicOrigin: string, info: SandboxInfo, dataDir: string): string {
  const caFile = join(dataDir, 'sandbox', 'ca.pem')
  const idp = info.idpOrigin ?? new URL(info.authorizeEndpoint).origin
  const users = info.users.flatMap((u) => [
    `    ${u.upn.padEnd(30)} ${u.password.padEnd(22)} ${u.descriptionJa ?? u.description}`,
    ...(u.descriptionJa ? [`    ${''.padEnd(53)} ${u.description}`] : []),
  ])
  return [
    '',
    `  mailkey: ${publicOrigin}/  を開いてください / open it in a browser`,
    '',
    '  サンドボックス テナント (Microsoft 365 の代わりのローカル環境) / Sandbox tenant:',
    '    プリセット「サンドボックス」を選び、[認証] → [メール送信テスト]。',
    '    Choose the preset "Sandbox", then [Sign in] and [Send test email].',
    `    受信箱 / inbox: ${publicOrigin}${info.inboxUrl ?? '/api/sandbox/inbox'}`,
    '',
    '  サインインできるユーザー / sign-in users (sandbox only):',
    ...users,
    '',
    ...appOnlyLines(info),
    `  サインイン画面は ${idp} (ローカル CA の証明書) で開きます。一度だけ CA を信頼してください:`,
    `  The sign-in popup is served by ${idp} with a local CA. Trust it once:`,
    `    CA: ${caFile}  (${publicOrigin}${info.caUrl ?? '/api/sandbox/ca.pem'})`,
    `    Chrome/Edge (Linux): certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n mailkey-sandbox -i ${caFile}`,
    '    Windows: certutil -user -addstore Root ca.pem   macOS: Keychain Access > System > import, "Always Trust"',
    `    または ${idp}/ を一度開いて警告を許可 / or open ${idp}/ once and proceed past the warning.`,
    '',
  ].join('\n')
}
