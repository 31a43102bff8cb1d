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
  browser?: (BrowserFailure | 'relay_unreachable' | 'no_token' | 'unexpected')[]
}

const J = {
  smtpAuth: 'Microsoft 365 管理センター > ユーザー > アクティブなユーザー > (送信者) > メール > メール アプリの管理 > 「認証済み SMTP」',
  auth: 'Microsoft Entra 管理センター > アプリの登録 > (アプリ) > 認証',
  secret: 'Microsoft Entra 管理センター > アプリの登録 > (アプリ) > 証明書とシークレット',
  perms: 'Microsoft Entra 管理センター > アプリの登録 > (アプリ) > API のアクセス許可',
  overview: 'Microsoft Entra 管理センター > アプリの登録 > (アプリ) > 概要',
}
const E = {
  smtpAuth: 'Microsoft 365 admin center > Users > Active users > (the sender) > Mail > Manage email apps > "Authenticated SMTP"',
  auth: 'Microsoft Entra admin center > App registrations > (the app) > Authentication',
  secret: 'Microsoft Entra admin center > App registrations > (the app) > Certificates & secrets',
  perms: 'Microsoft Entra admin center > App registrations > (the app) > API permissions',
  overview: 'Microsoft Entra admin center > App registrations > (the app) > Overview',
}
const signInAgain: Text = { ja: '[認証] を押して、もう一度サインインしてください。', en: 'Press [Sign in] and sign in again.' }
const retryLater: Text = { ja: '数分待ってから、もう一度送信してください。', en: 'Wait a few minutes and send again.' }

export const CAUSES: readonly Cause[] = [
  {
    id: 'smtp-auth-disabled',
    m365: ['smtp-5.7.139-mailbox', 'smtp-5.7.139-tenant', 'smtp-5.7.139'],
    what: { ja: 'Microsoft 365 がこの利用者の SMTP 認証を拒否しました。', en: 'Microsoft 365 refused SMTP authentication for this user.' },
    cause: { ja: 'この利用者（または組織全体）で「認証済み SMTP」(SMTP AUTH) が無効です。', en: 'Authenticated SMTP (SMTP AUTH) is turned off for this user or the whole organisation.' },
    fix: { ja: `${J.smtpAuth} にチェックを入れて保存します。反映まで時間がかかることがあります。組織全体で無効なら Exchange 管理センターの設定も確認します。`, en: `Tick ${E.smtpAuth} and save; it can take a while to apply. If it is off organisation-wide, check the Exchange admin center setting too.` },
    step: 'smtp-auth',
  },
  {
    id: 'security-defaults',
    m365: ['smtp-5.7.139-security-defaults', 'aadsts-530035'],
    what: { ja: 'サインインまたは SMTP 認証がセキュリティの既定値によってブロックされました。', en: 'The sign-in or SMTP authentication was blocked by security defaults.' },
    cause: { ja: 'セキュリティの既定値が有効な組織では SMTP AUTH が無効になります。', en: 'Security defaults turn SMTP AUTH off for the organisation.' },
    fix: { ja: '管理者がセキュリティの既定値を無効にする（条件付きアクセスで代替する）か、別の送信方法を検討します。', en: 'An administrator disables security defaults (using Conditional Access instead), or chooses another way to send.' },
    step: 'tenant-policy',
  },
  {
    id: 'basic-auth-disabled',
    m365: ['smtp-5.7.139-basic-auth'],
    what: { ja: 'パスワードによる SMTP 認証が拒否されました。', en: 'Password (basic) SMTP authentication was refused.' },
    cause: { ja: 'Microsoft 365 ではパスワード認証 (基本認証) が無効です。', en: 'Basic authentication is disabled in Microsoft 365.' },
    fix: { ja: '認証を「OAuth 2.0」にして [認証] でサインインしてください。', en: 'Set Authentication to "OAuth 2.0" and sign in with [Sign in].' },
    step: 'mail-settings',
  },
  {
    id: 'conditional-access',
    m365: ['smtp-5.7.139-conditional-access', 'aadsts-53003'],
    what: { ja: '条件付きアクセスのポリシーがこのサインインをブロックしました。', en: 'A Conditional Access policy blocked this sign-in.' },
    cause: { ja: 'この利用者・アプリ・場所に適用されるポリシーが条件を満たしていません。', en: 'A policy for this user, app or location is not satisfied.' },
    fix: { ja: 'Entra のサインイン ログで該当ポリシーを確認し、管理者が調整します。', en: 'Find the policy in the Entra sign-in logs and have an administrator adjust it.' },
    step: 'tenant-policy',
  },
  {
    id: 'token-rejected',
    m365: ['smtp-5.7.3'],
    relay: ['AUTH_FAILED'],
    what: { ja: 'SMTP サーバーがトークンを受け付けませんでした (認証失敗)。', en: 'The SMTP server rejected the token (authentication failed).' },
    cause: { ja: 'サインインした利用者と送信元が違う、SMTP.Send の許可がない、または「認証済み SMTP」が有効になって間もない、などが考えられます。', en: 'The signed-in user differs from the sender, SMTP.Send is not granted, or Authenticated SMTP was enabled only recently.' },
    fix: { ja: `${J.perms} に委任されたアクセス許可 SMTP.Send と offline_access があるか確認し、送信元のメールボックスでサインインし直してください。`, en: `Check that ${E.perms} has the delegated permissions SMTP.Send and offline_access, and sign in as the sender's mailbox.` },
    step: 'api-permissions',
  },
  {
    id: 'auth-required',
    m365: ['smtp-5.7.57'],
    what: { ja: '認証せずに送信しようとしたため、サーバーが拒否しました。', en: 'The server refused to send without authentication.' },
    cause: { ja: '認証方式が「なし」になっているか、認証が行われていません。', en: 'Authentication is set to "None", or no authentication took place.' },
    fix: { ja: '認証を「OAuth 2.0」にして [認証] でサインインしてから送信してください。', en: 'Set Authentication to "OAuth 2.0", sign in, then send.' },
    step: 'mail-settings',
  },
  {
    id: 'send-as-denied',
    m365: ['smtp-5.7.60', 'smtp-5.2.252', 'smtp-5.2.0-send-as'],
    relay: ['SENDER_REJECTED'],
    what: { ja: '送信元アドレスとしての送信が拒否されました (SendAsDenied)。', en: 'Sending as the From address was denied (SendAsDenied).' },
    cause: { ja: 'サインインした利用者には、この送信元メールアドレスとして送信する権限 (Send As) がありません。', en: 'The signed-in user has no Send As permission for this From address.' },
    fix: { ja: '送信元メールアドレスをサインインした利用者のアドレスにするか、Exchange 管理センターでそのメールボックスの「代理送信 (Send As)」権限を与えます。', en: "Use the signed-in user's address as the From address, or grant Send As on that mailbox in the Exchange admin center." },
    step: 'mail-settings',
  },
  {
    id: 'quota',
    m365: ['smtp-5.2.0-quota', 'smtp-5.2.2', 'smtp-5.3.4'],
    relay: ['MESSAGE_REJECTED'],
    what: { ja: 'メッセージが拒否されました。', en: 'The message was rejected.' },
    cause: { ja: '送信数の上限 (1 日 10,000 宛先) に達した、送信者のメールボックスがいっぱい、またはメッセージが大きすぎます。', en: "The sending limit (10,000 recipients a day) was reached, the sender's mailbox is full, or the message is too large." },
    fix: { ja: '上限がリセットされるまで待つか、送信済みアイテムを整理するか、添付を小さくしてください。', en: 'Wait for the limit to reset, clean up Sent Items, or send smaller attachments.' },
    step: 'none',
  },
  {
    id: 'server-busy',
    m365: ['smtp-4.3.2-thread-limit', 'smtp-4.3.2', 'smtp-4.7.500', 'smtp-4.7.0'],
    relay: ['RATE_LIMITED'],
    what: { ja: 'サーバーが一時的に送信を受け付けませんでした。', en: 'The server temporarily did not accept the message.' },
    cause: { ja: 'サーバーの混雑、同時接続数の上限、または送信回数の制限です。設定の誤りではありません。', en: 'A busy server, too many concurrent connections or a rate limit. Not a setup error.' },
    fix: retryLater,
    step: 'none',
  },
  {
    id: 'tls-version',
    m365: ['smtp-4.7.66'],
    what: { ja: 'サーバーが古い TLS を拒否しました。', en: 'The server refused an old TLS version.' },
    cause: { ja: 'Microsoft 365 は TLS 1.2 以上を必要とします。', en: 'Microsoft 365 requires TLS 1.2 or later.' },
    fix: { ja: 'SSL を「StartTLS」、ポートを 587 にしてください。間にプロキシがあれば確認します。', en: 'Choose "StartTLS" and port 587; check any proxy in between.' },
    step: 'mail-settings',
  },
  {
    id: 'bad-user',
    m365: ['smtp-5.5.124'],
    what: { ja: 'トークンと一緒に送った利用者名が正しくありません。', en: 'The user name sent with the token is not valid.' },
    cause: { ja: 'サインインしたアカウントのアドレスと一致していません。', en: 'It does not match the signed-in account.' },
    fix: signInAgain,
    step: 'sign-in',
  },
  {
    id: 'web-registration-spa-mode',
    m365: ['aadsts-9002326'],
    what: { ja: 'ブラウザーでのコード交換が拒否されました (AADSTS9002326)。', en: 'The browser was not allowed to redeem the code (AADSTS9002326).' },
    cause: { ja: 'アプリが「Web」プラットフォームで登録されているのに、トークン方式 spa-pkce を使っています。', en: 'The app is registered with the "Web" platform, but token mode spa-pkce is used.' },
    fix: { ja: `トークン方式を web-secret にするか、${J.auth} で「シングルページ アプリケーション」にこのページのリダイレクト URI を追加します。`, en: `Choose token mode web-secret, or add this page's redirect URI under "Single-page application" in ${E.auth}.` },
    step: 'authentication',
  },
  {
    id: 'spa-registration-web-mode',
    m365: ['aadsts-9002327', 'aadsts-700025'],
    what: { ja: 'コード交換のクライアント種別が登録と合いません。', en: 'The client type of the code redemption does not match the registration.' },
    cause: { ja: 'アプリが「シングルページ アプリケーション」(公開クライアント) で登録されているのに、シークレットを使う方式を選んでいます。', en: 'The app is registered as a single-page application (public client), but a secret-based mode is used.' },
    fix: { ja: `トークン方式を spa-pkce にするか、${J.auth} で「Web」プラットフォームを追加します。`, en: `Choose token mode spa-pkce, or add the "Web" platform in ${E.auth}.` },
    step: 'authentication',
  },
  {
    id: 'secret-missing',
    m365: ['aadsts-7000218'],
    what: { ja: 'クライアントシークレットがないため、トークンを取得できませんでした。', en: 'No token: the client secret is missing.' },
    cause: { ja: 'Web (機密クライアント) として登録されたアプリにはシークレットが必要です。', en: 'An app registered as Web (confidential client) needs its secret.' },
    fix: { ja: `${J.secret} のシークレットの「値」をクライアントシークレット欄に入力します。`, en: `Enter the secret's Value from ${E.secret} in the Client secret field.` },
    step: 'client-secret',
  },
  {
    id: 'secret-expired',
    m365: ['aadsts-7000222'],
    what: { ja: 'クライアントシークレットの有効期限が切れています (AADSTS7000222)。', en: 'The client secret has expired (AADSTS7000222).' },
    cause: { ja: 'シークレットは既定で 6 か月、最長 2 年で失効します。', en: 'Secrets expire after 6 months by default, 2 years at most.' },
    fix: { ja: `${J.secret} で新しいクライアントシークレットを作成し、その「値」を入力して有効期限の日付も更新します。`, en: `Create a new client secret in ${E.secret}, enter its Value, and update the expiry date.` },
    step: 'client-secret',
  },
  {
    id: 'secret-invalid',
    m365: ['aadsts-7000215'],
    what: { ja: 'クライアントシークレットが正しくありません (AADSTS7000215)。', en: 'The client secret is not valid (AADSTS7000215).' },
    cause: { ja: 'シークレットの「値」ではなく「シークレット ID」を入力した可能性が高いです。', en: "Most likely the secret's ID was entered instead of its Value." },
    fix: { ja: `${J.secret} のシークレットの「値」を入力してください。値が表示されなくなっていれば、新しいシークレットを作成します。`, en: `Enter the secret's Value from ${E.secret}; if it is no longer shown, create a new secret.` },
    step: 'client-secret',
  },
  {
    id: 'redirect-mismatch',
    m365: ['aadsts-50011', 'aadsts-500113'],
    what: { ja: 'リダイレクト URI がアプリに登録されていません。', en: 'The redirect URI is not registered for the app.' },
    cause: { ja: '選んだトークン方式のリダイレクト URI (パスを含む) が、登録と一致していません。', en: "The chosen token mode's redirect URI (path included) does not match the registration." },
    fix: { ja: `${J.auth} に、この画面に表示されたリダイレクト URI を正しいプラットフォームで登録します。`, en: `Register the redirect URI shown on this page under the right platform in ${E.auth}.` },
    step: 'authentication',
  },
  {
    id: 'consent-missing',
    m365: ['aadsts-65001', 'aadsts-90094', 'aadsts-65004'],
    what: { ja: 'アプリのアクセス許可に同意がありません。', en: "The app's permissions have not been consented to." },
    cause: { ja: '管理者の同意が与えられていないか、サインイン時に同意が拒否されました。', en: 'Admin consent was not granted, or consent was declined at sign-in.' },
    fix: { ja: `${J.perms} で「{組織} に管理者の同意を与えます」をクリックし、「はい」を選びます。`, en: `In ${E.perms} click "Grant admin consent for {organisation}", then "Yes".` },
    step: 'consent',
  },
  {
    id: 'id-tokens-off',
    m365: ['aadsts-700054'],
    what: { ja: 'ID トークンの発行が許可されていません (AADSTS700054)。', en: 'ID tokens are not enabled for the app (AADSTS700054).' },
    cause: { ja: 'アプリの認証設定で「ID トークン」にチェックがありません。', en: '"ID tokens" is not ticked in the app\'s Authentication settings.' },
    fix: { ja: `${J.auth} で「ID トークン (暗黙的およびハイブリッド フローに使用)」にチェックを入れて保存します。`, en: `Tick "ID tokens (used for implicit and hybrid flows)" in ${E.auth} and save.` },
    step: 'authentication',
  },
  {
    id: 'implicit-off',
    m365: ['aadsts-700051', 'aadsts-70005'],
    what: { ja: 'アクセス トークンの暗黙的な発行が許可されていません。', en: 'Implicit access tokens are not enabled for the app.' },
    cause: { ja: 'アプリの認証設定で「アクセス トークン」にチェックがありません。', en: '"Access tokens" is not ticked in the app\'s Authentication settings.' },
    fix: { ja: `${J.auth} で「アクセス トークン (暗黙的なフローに使用)」にチェックを入れるか、トークン方式を spa-pkce にします。`, en: `Tick "Access tokens (used for implicit flows)" in ${E.auth}, or use token mode spa-pkce.` },
    step: 'authentication',
  },
  {
    id: 'session-ended',
    m365: ['aadsts-700084', 'aadsts-700082', 'aadsts-70008', 'aadsts-70043', 'aadsts-50173', 'aadsts-54005', 'aadsts-501481', 'aadsts-50076', 'aadsts-70000'],
    what: { ja: 'サインインの有効期間が終わりました。', en: 'The sign-in session has ended.' },
    cause: { ja: 'リフレッシュトークンの期限切れ、パスワード変更、多要素認証の要求などです。', en: 'The refresh token expired, the password changed, or multi-factor authentication is required.' },
    fix: signInAgain,
    step: 'sign-in',
  },
  {
    id: 'token-request-incomplete',
    m365: ['aadsts-900144', 'aadsts-9002313'],
    relay: ['TOKEN_ENDPOINT_ERROR'],
    what: { ja: 'トークンエンドポイントがエラーを返しました。', en: 'The token endpoint returned an error.' },
    cause: { ja: '要求の内容 (クライアント ID、シークレット、エンドポイント) が登録と合っていません。', en: 'The request (client ID, secret, endpoints) does not match the registration.' },
    fix: { ja: `${J.overview} の値と、${J.secret} のシークレットの「値」を確認してください。`, en: `Check the values in ${E.overview} and the secret's Value in ${E.secret}.` },
    step: 'overview-values',
  },
  {
    id: 'wrong-ids',
    m365: ['aadsts-50194', 'aadsts-700016'],
    what: { ja: 'アプリがこのディレクトリに見つかりません。', en: 'The app was not found in this directory.' },
    cause: { ja: 'アプリケーション(クライアント)ID またはディレクトリ (テナント) ID が違います。', en: 'The Application (client) ID or Directory (tenant) ID is wrong.' },
    fix: { ja: `${J.overview} から両方の ID をコピーし直してください。`, en: `Copy both IDs again from ${E.overview}.` },
    step: 'overview-values',
  },
  {
    id: 'account-cannot-sign-in',
    m365: ['aadsts-50057', 'aadsts-50126'],
    what: { ja: 'このアカウントではサインインできませんでした。', en: 'This account could not sign in.' },
    cause: { ja: 'ユーザー名かパスワードが違う、またはアカウントが無効です (共有メールボックスはサインインできません)。', en: 'The user name or password is wrong, or the account is disabled (a shared mailbox cannot sign in).' },
    fix: { ja: 'ライセンスのある利用者でサインインし直してください。共有メールボックスから送るときは、Send As 権限のある利用者でサインインし、送信元に共有アドレスを入れます。', en: 'Sign in as a licensed user. To send from a shared mailbox, sign in as a user with Send As on it and use the shared address as From.' },
    step: 'sign-in',
  },
  {
    id: 'scope-invalid',
    m365: ['aadsts-70011'],
    what: { ja: '要求したスコープが正しくありません (AADSTS70011)。', en: 'The requested scope is not valid (AADSTS70011).' },
    cause: { ja: 'アプリに SMTP.Send の委任されたアクセス許可がないか、スコープの綴りが違います。', en: 'The app lacks the delegated SMTP.Send permission, or the scope is misspelt.' },
    fix: { ja: `${J.perms} に SMTP.Send と offline_access を追加してください。`, en: `Add SMTP.Send and offline_access in ${E.perms}.` },
    step: 'api-permissions',
  },
  {
    id: 'host-not-allowed',
    relay: ['HOST_NOT_ALLOWED', 'ORIGIN_NOT_ALLOWED'],
    what: { ja: 'リレーがこの接続先を許可していません。', en: 'The relay does not allow this destination.' },
    cause: { ja: 'SMTP サーバー・ポート・トークンエンドポイントがリレーの許可リストにないか、SSL「なし」が許可されていません。', en: 'The SMTP host, port or token endpoint is not on the relay\'s allow-list, or SSL "None" is not allowed for it.' },
    fix: { ja: 'SMTP サーバーとポートを確認してください (Microsoft 365: smtp.office365.com、587、StartTLS)。別のサーバーを使う場合はリレーの RELAY_SMTP_HOSTS / RELAY_TOKEN_HOSTS に追加します。', en: 'Check the SMTP server and port (Microsoft 365: smtp.office365.com, 587, StartTLS). For another server, add it to the relay\'s RELAY_SMTP_HOSTS / RELAY_TOKEN_HOSTS.' },
    step: 'mail-settings',
  },
  {
    id: 'connection-failed',
    relay: ['CONNECTION_FAILED', 'TIMEOUT'],
    what: { ja: 'SMTP サーバーに接続できませんでした。', en: 'Could not connect to the SMTP server.' },
    cause: { ja: 'サーバー名やポートの誤り、ファイアウォール、またはサーバーの応答がありません。', en: 'A wrong server name or port, a firewall, or no answer from the server.' },
    fix: { ja: 'SMTP サーバーとポートを確認し、リレーのあるネットワークからポート 587 に接続できるか確認してください。', en: 'Check the SMTP server and port, and that the relay\'s network can reach port 587.' },
    step: 'mail-settings',
  },
  {
    id: 'tls-failed',
    relay: ['TLS_FAILED', 'STARTTLS_UNAVAILABLE'],
    what: { ja: '暗号化 (TLS) の接続に失敗しました。', en: 'The encrypted (TLS) connection failed.' },
    cause: { ja: 'SSL の選択とポートが合っていない (587 は StartTLS、465 は SSL/TLS)、またはサーバー証明書を検証できません。', en: 'The SSL choice does not match the port (587 is StartTLS, 465 SSL/TLS), or the server certificate cannot be verified.' },
    fix: { ja: 'SSL を「StartTLS」、ポートを 587 にしてください。', en: 'Choose "StartTLS" and port 587.' },
    step: 'mail-settings',
  },
  {
    id: 'mechanism-unavailable',
    relay: ['AUTH_MECHANISM_UNAVAILABLE'],
    what: { ja: 'サーバーがこの認証方式を提供していません。', en: 'The server does not offer this authentication mechanism.' },
    cause: { ja: 'サーバーが XOAUTH2 を提供していない、または暗号化の前に認証しようとしています。', en: 'The server does not offer XOAUTH2, or authentication was tried before encryption.' },
    fix: { ja: 'SMTP サーバーが smtp.office365.com、SSL が「StartTLS」か確認してください。', en: 'Check that the server is smtp.office365.com and SSL is "StartTLS".' },
    step: 'mail-settings',
  },
  {
    id: 'recipient-rejected',
    relay: ['RECIPIENT_REJECTED'],
    what: { ja: '送信先メールアドレスが拒否されました。', en: 'The To address was rejected.' },
    cause: { ja: 'アドレスの誤り、または受信側が受け付けていません。', en: 'The address is wrong, or the receiving side does not accept it.' },
    fix: { ja: '送信先メールアドレスを確認してください。', en: 'Check the To address.' },
    step: 'mail-settings',
  },
  {
    id: 'invalid-request',
    relay: ['INVALID_REQUEST', 'PAYLOAD_TOO_LARGE'],
    what: { ja: 'リレーが要求を受け付けませんでした。', en: 'The relay did not accept the request.' },
    cause: { ja: '入力値のどれかが形式に合っていません。', en: 'One of the values does not have the expected form.' },
    fix: { ja: '赤く表示された項目と、下の詳細を確認してください。', en: 'Check the fields marked in red and the details below.' },
    step: 'mail-settings',
  },
  {
    id: 'relay-internal',
    relay: ['INTERNAL'],
    browser: ['unexpected'],
    what: { ja: '予期しないエラーが起きました。', en: 'An unexpected error occurred.' },
    cause: { ja: 'リレーまたはページの内部エラーです。', en: 'An internal error of the relay or the page.' },
    fix: { ja: 'もう一度試し、続く場合は下の詳細を添えて管理者に連絡してください。', en: 'Try again; if it persists, report it with the details below.' },
    step: 'none',
  },
  {
    id: 'relay-unreachable',
    browser: ['relay_unreachable'],
    what: { ja: 'リレーに接続できませんでした。', en: 'Could not reach the relay.' },
    cause: { ja: 'リレー (npm run relay / npm start) が動いていません。', en: 'The relay (npm run relay / npm start) is not running.' },
    fix: { ja: 'リレーを起動し、このページをリレーのアドレス (例: http://localhost:8787/) で開いてください。', en: "Start the relay and open this page at the relay's address (e.g. http://localhost:8787/)." },
    step: 'none',
  },
  {
    id: 'popup-blocked',
    browser: ['popup_blocked'],
    what: { ja: 'サインインのポップアップがブロックされました。', en: 'The sign-in popup was blocked.' },
    cause: { ja: 'ブラウザーがこのサイトのポップアップを許可していません。', en: 'The browser does not allow popups for this site.' },
    fix: { ja: 'アドレスバーのポップアップ ブロックの表示から、このサイトのポップアップを許可して、もう一度 [認証] を押してください。', en: 'Allow popups for this site from the address bar\'s popup-blocked icon, then press [Sign in] again.' },
    step: 'sign-in',
  },
  {
    id: 'popup-closed',
    browser: ['popup_closed'],
    what: { ja: 'サインインが完了する前にポップアップが閉じられました。', en: 'The popup was closed before sign-in finished.' },
    cause: { ja: 'サインイン画面を閉じたか、キャンセルしました。ポップアップにエラー (AADSTS で始まるコード) が表示されていた場合は、そのコードが原因です (AADSTS50011 ならリダイレクト URI の登録)。', en: 'The sign-in window was closed or cancelled. If the popup showed an error (a code starting with AADSTS), that code is the cause (AADSTS50011: the redirect URI is not registered).' },
    fix: { ja: 'もう一度 [認証] を押し、ポップアップでサインインと同意を最後まで行ってください。', en: 'Press [Sign in] again and complete sign-in and consent in the popup.' },
    step: 'sign-in',
  },
  {
    id: 'bridge-timeout',
    browser: ['bridge_timeout'],
    what: { ja: 'ポップアップからの応答がありませんでした。', en: 'No answer came back from the popup.' },
    cause: { ja: 'リダイレクト URI の登録 (パスを含む) が違い、ポップアップがこのページに戻れなかったか、ポップアップが閉じられました。', en: 'The registered redirect URI (path included) is wrong, so the popup could not return here, or the popup was closed.' },
    fix: { ja: `${J.auth} に、この画面に表示されたリダイレクト URI を登録してから、もう一度 [認証] を押してください。`, en: `Register the redirect URI shown on this page in ${E.auth}, then press [Sign in] again.` },
    step: 'authentication',
  },
  {
    id: 'response-invalid',
    browser: ['state_mismatch', 'id_token_invalid'],
    what: { ja: 'サインインの応答を検証できませんでした。', en: 'The sign-in answer could not be verified.' },
    cause: { ja: 'state・nonce・ID トークンが要求と一致しません。古いポップアップの応答か、なりすましの可能性があります。', en: 'The state, nonce or ID token does not match the request: an old popup\'s answer, or a forgery.' },
    fix: signInAgain,
    step: 'sign-in',
  },
  {
    id: 'authority-insecure',
    browser: ['authority_insecure'],
    what: { ja: '認可エンドポイントが https ではありません (authority_uri_insecure)。', en: 'The authorization endpoint is not https (authority_uri_insecure).' },
    cause: { ja: 'MSAL は https の認証機関しか使えません。', en: 'MSAL only accepts https authorities.' },
    fix: { ja: '認可エンドポイントとトークンエンドポイントを https の URL にしてください。', en: 'Use https URLs for the authorization and token endpoints.' },
    step: 'overview-values',
  },
  {
    id: 'not-localhost',
    browser: ['not_localhost'],
    what: { ja: 'このページのアドレスでは、この方式でサインインできません。', en: "This mode cannot sign in from this page's address." },
    cause: { ja: 'Web プラットフォームのリダイレクト URI http://localhost は localhost でしか使えません。', en: 'The Web platform redirect URI http://localhost works only on localhost.' },
    fix: { ja: 'このページを http://localhost:<ポート>/ で開くか、トークン方式を spa-pkce にしてください。', en: 'Open this page at http://localhost:<port>/, or use token mode spa-pkce.' },
    step: 'authentication',
  },
  {
    id: 'implicit-expired',
    browser: ['implicit_expired'],
    what: { ja: 'トークンの有効期限が切れました。', en: 'The token has expired.' },
    cause: { ja: 'implicit 方式のトークンは更新できません。', en: 'Implicit-mode tokens cannot be renewed.' },
    fix: signInAgain,
    step: 'sign-in',
  },
  {
    id: 'no-token',
    browser: ['no_token'],
    what: { ja: 'OAuth 2.0 のトークンがありません。', en: 'There is no OAuth 2.0 token.' },
    cause: { ja: 'まだサインインしていないか、設定を変えたためトークンが使えません。', en: 'Not signed in yet, or the settings changed since.' },
    fix: { ja: '[認証] を押してサインインしてから送信してください。', en: 'Press [Sign in], then send.' },
    step: 'sign-in',
  },
  {
    id: 'msal-error',
    browser: ['msal', 'in_progress', 'authorize_error'],
    what: { ja: 'サインインでエラーが起きました。', en: 'Sign-in failed with an error.' },
    cause: { ja: 'エンドポイント・クライアント ID・リダイレクト URI のいずれかが登録と合っていない可能性があります。', en: 'An endpoint, the client ID or the redirect URI may not match the registration.' },
    fix: { ja: `${J.overview} の値と、${J.auth} のリダイレクト URI を確認してください。下のコードも手がかりになります。`, en: `Check the values in ${E.overview} and the redirect URI in ${E.auth}; the code below is a clue.` },
    step: 'overview-values',
  },
]
