/**
 * The seed's admin steps (seed/SEED-en.md) as the guide page shows them, in Japanese and English,
 * with the values this deployment needs for the chosen token mode. Each step's `id` is a
 * SeedStep of contract/m365.ts: the page anchors it as `#step-<id>` and the diagnosis links there.
 *
 * @module
 */
import type { SeedStep } from '$lib/contract/m365.ts'
import type { Text } from '$lib/diagnosis/catalogue.ts'
import { SMTP_SCOPE, type TokenMode } from '$lib/settings/model.ts'

export interface GuideContext {
  mode: TokenMode
  /** The redirect URI of this deployment for `mode`. */
  redirectUri: string
  /** False when the mode needs http://localhost and the page runs elsewhere. */
  redirectUsable: boolean
  /** True when the page is not on localhost: its own https root is registered, not http://localhost. */
  redirectOnServer?: boolean
  authorizeEndpoint: string
  tokenEndpoint: string
}

export interface CopyItem {
  label: Text
  value: string
}

export interface GuideStep {
  id: Exclude<SeedStep, 'none'>
  title: Text
  /** Who does it: the seed says the Exchange Online admin, consent needs a Global Administrator. */
  who?: Text
  items: Text[]
  notes?: Text[]
  copy?: CopyItem[]
}

const platform = (mode: TokenMode): Text =>
  mode === 'spa-pkce'
    ? { ja: 'シングルページ アプリケーション', en: 'Single-page application' }
    : { ja: 'Web', en: 'Web' }

/** The steps for a context, in the seed's order (then the tenant policies beyond the seed). */
export function guideSteps(c: GuideContext): GuideStep[] {
  const p = platform(c.mode)
  const spa = c.mode === 'spa-pkce'
  const redirect: CopyItem = { label: { ja: 'リダイレクト URI', en: 'Redirect URI' }, value: c.redirectUri }
  return [
    {
      id: 'smtp-auth',
      title: { ja: 'Microsoft 365 の利用者で SMTP AUTH を有効にする', en: 'Enable SMTP AUTH for the Microsoft 365 user' },
      who: { ja: 'Exchange Online の管理者', en: 'The Exchange Online administrator' },
      items: [
        { ja: 'Microsoft 365 管理センターに Exchange Online のアカウントでサインインします。', en: 'Sign in to the Microsoft 365 admin center with the Exchange Online account.' },
        { ja: '[ユーザー] > [アクティブなユーザー] を開きます。', en: 'Go to [Users] > [Active users].' },
        { ja: '送信元 (From) になるアドレスの利用者を選びます。', en: 'Select the user whose address will be the sender (From) address.' },
        { ja: 'ポップアップで [メール] をクリックします。', en: 'In the pop-up, click [Mail].' },
        { ja: '[メール アプリ] の [メール アプリの管理] を選びます。', en: 'In [Email apps] choose [Manage email apps].' },
        { ja: '[認証済み SMTP] にチェックが入っていることを確認します。', en: 'Check that [Authenticated SMTP] is ticked.' },
        { ja: '[変更の保存] をクリックします。', en: 'Click [Save changes].' },
      ],
      notes: [{ ja: 'チェックを入れた直後は、送信できるようになるまで時間がかかることがあります。', en: 'Right after ticking it, it can take a while before mail can be sent.' }],
    },
    {
      id: 'register-app',
      title: { ja: 'アプリを登録する', en: 'Register the app' },
      items: [
        { ja: 'Microsoft Entra 管理センターに Exchange Online のアカウントでサインインします。', en: 'Sign in to the Microsoft Entra admin center with the Exchange Online account.' },
        { ja: '[アプリケーション] > [アプリの登録] > [新規登録] をクリックします。', en: 'Click [Applications] > [App registrations] > [New registration].' },
        { ja: '名前は管理者がわかるものを自由に入力します。', en: 'Enter any name the administrator will recognise.' },
        { ja: 'サポートされているアカウントの種類: [この組織ディレクトリのみに含まれるアカウント (シングル テナント)]。', en: 'Supported account types: [Accounts in this organizational directory only (Single tenant)].' },
        { ja: `リダイレクト URI: プラットフォーム [${p.ja}]、値は下の URI です。`, en: `Redirect URI: platform [${p.en}], value: the URI below.` },
        { ja: '[登録] をクリックします。', en: 'Click [Register].' },
      ],
      notes: spa
        ? [{ ja: '手順書の「Web / http://localhost」の代わりに、spa-pkce では「シングルページ アプリケーション」とこのページのブリッジ URI を登録します。', en: 'Instead of the guide\'s "Web / http://localhost", spa-pkce registers "Single-page application" with this page\'s bridge URI.' }]
        : c.redirectOnServer
          ? [{ ja: 'このページは localhost ではなくサーバーで開かれているため、手順書の http://localhost の代わりに下の https の URI を登録します。', en: 'This page is open on a server, not on localhost: register the https URI below instead of the guide\'s http://localhost.' }]
          : [{ ja: '手順書どおり http://localhost を登録します。localhost のリダイレクト URI はポート番号を問いません (Entra の規則)。', en: 'Register http://localhost as the guide says. For localhost, Entra ignores the port of the redirect URI.' }],
      copy: [redirect],
    },
    {
      id: 'authentication',
      title: { ja: '認証を登録する（プラットフォームとリダイレクト URI）', en: 'Register authentication (platform and redirect URI)' },
      items: spa
        ? [
            { ja: '登録したアプリの左メニューで [認証] を選びます。', en: 'Select the app, then [Authentication] in the left menu.' },
            { ja: '[プラットフォームを追加] > [シングルページ アプリケーション] に、下のリダイレクト URI を登録します。', en: 'Under [Add a platform] > [Single-page application], register the redirect URI below.' },
            { ja: '暗黙的フローのチェックボックスは不要です。[保存] をクリックします。', en: 'The implicit-flow checkboxes are not needed. Click [Save].' },
          ]
        : [
            { ja: '登録したアプリの左メニューで [認証] を選びます。', en: 'Select the app, then [Authentication] in the left menu.' },
            c.mode === 'implicit'
              ? { ja: '[アクセス トークン (暗黙的なフローに使用)] と [ID トークン (暗黙的およびハイブリッド フローに使用)] の両方にチェックを入れ、[保存] をクリックします。', en: 'Tick [Access tokens (used for implicit flows)] and [ID tokens (used for implicit and hybrid flows)], then [Save].' }
              : { ja: '[ID トークン (暗黙的およびハイブリッド フローに使用)] にチェックを入れ (手順書どおり [アクセス トークン] も可)、[保存] をクリックします。', en: 'Tick [ID tokens (used for implicit and hybrid flows)] (also [Access tokens] as the guide says), then [Save].' },
            { ja: 'プラットフォーム [Web] のリダイレクト URI が下の値と一致していることを確認します。', en: 'Check that the [Web] platform redirect URI matches the value below.' },
          ],
      notes: c.redirectUsable
        ? []
        : [{ ja: 'このページは localhost でも https でもないアドレスで開かれています。この方式では http://localhost:<ポート>/ か https のアドレスで開いてください。', en: 'This page is open neither on localhost nor over https. For this mode, open it at http://localhost:<port>/ or at an https address.' }],
      copy: [redirect],
    },
    {
      id: 'client-secret',
      title: { ja: 'クライアントシークレットを作成する', en: 'Create the client secret' },
      items: [
        { ja: '[証明書とシークレット] > [新しいクライアント シークレット] で [説明] と [有効期限] を入力し、[追加] をクリックします。', en: 'In [Certificates & secrets] > [New client secret], enter [Description] and [Expires], then click [Add].' },
        { ja: '作成したシークレットの [値] をコピーします ([シークレット ID] ではありません)。', en: 'Copy the new secret\'s [Value] (not its [Secret ID]).' },
        { ja: 'mailkey の「クライアントシークレット」に貼り付け、「有効期限」に日付を入力します。', en: 'Paste it into mailkey\'s "Client secret" and enter the expiry date.' },
      ],
      notes: [
        { ja: 'ページを再読み込みすると値は表示されなくなります。コピーし忘れたら新しいシークレットを作成します。', en: 'After reloading the page the value is no longer shown; if you did not copy it, create a new secret.' },
        { ja: '有効期限は既定で 6 か月、最長 2 年です。期限が切れると送信 (トークン取得) が失敗します (AADSTS7000222)。', en: 'A secret expires after 6 months by default, 2 years at most; after that sign-in fails (AADSTS7000222).' },
        c.mode === 'web-secret'
          ? { ja: 'web-secret 方式ではシークレットが必須です。', en: 'The web-secret mode needs the secret.' }
          : { ja: `${c.mode} 方式ではシークレットは使いません (手順書どおり作成しても問題ありません)。`, en: `The ${c.mode} mode does not use the secret (creating it as the guide says does no harm).` },
      ],
    },
    {
      id: 'api-permissions',
      title: { ja: 'API のアクセス許可を追加する', en: 'Add the API permissions' },
      who: { ja: 'グローバル管理者の権限が必要です', en: 'Needs Global Administrator rights' },
      items: [
        { ja: '[API のアクセス許可] > [アクセス許可の追加] > [Microsoft Graph] > [委任されたアクセス許可] を選びます。', en: 'Select [API permissions] > [Add a permission] > [Microsoft Graph] > [Delegated permissions].' },
        { ja: '[SMTP.Send] と [offline_access] にチェックを入れ、[アクセス許可の追加] をクリックします。', en: 'Tick [SMTP.Send] and [offline_access], then click [Add permissions].' },
      ],
      copy: [{ label: { ja: 'mailkey が要求するスコープ', en: 'Scope mailkey asks for' }, value: `${SMTP_SCOPE} offline_access openid profile` }],
    },
    {
      id: 'consent',
      title: { ja: '管理者の同意を与える', en: 'Grant admin consent' },
      items: [{ ja: '[{組織} に管理者の同意を与えます] をクリックし、[はい] をクリックします。', en: 'Click [Grant admin consent for {organisation}], then [Yes].' }],
    },
    {
      id: 'overview-values',
      title: { ja: '値を控える（クライアント ID・テナント ID）', en: 'Note the values (client ID, tenant ID)' },
      items: [
        { ja: 'アプリの [概要] を開きます。', en: 'Open the app\'s [Overview].' },
        { ja: '[アプリケーション (クライアント) ID] と [ディレクトリ (テナント) ID] をコピーし、mailkey の同じ名前の欄に貼り付けます。テナント ID を入れると両方のエンドポイントが埋まります。', en: 'Copy [Application (client) ID] and [Directory (tenant) ID] into mailkey\'s fields of the same name; the tenant ID fills both endpoints.' },
      ],
      copy: [
        { label: { ja: '認可エンドポイント', en: 'Authorization endpoint' }, value: c.authorizeEndpoint },
        { label: { ja: 'トークンエンドポイント', en: 'Token endpoint' }, value: c.tokenEndpoint },
      ],
    },
    {
      id: 'mail-settings',
      title: { ja: 'メール設定を入力する', en: 'Enter the mail settings' },
      items: [
        { ja: 'SMTPサーバー: smtp.office365.com、SMTPポート: 587、認証: OAuth 2.0。', en: 'SMTP server: smtp.office365.com, SMTP port: 587, Authentication: OAuth 2.0.' },
        { ja: 'アプリケーション(クライアント)ID、クライアントシークレット (値)、認可エンドポイント、トークンエンドポイントを入力します。', en: 'Enter the Application (client) ID, the client secret (Value), and the authorization and token endpoints.' },
        { ja: 'SSL で [StartTLS] を選び、送信先と送信元のメールアドレスを入力します。', en: 'Under SSL choose [StartTLS], and enter the To and From addresses.' },
      ],
      notes: [{ ja: '送信元は、サインインする利用者のアドレス (または Send As 権限のあるメールボックス) にします。', en: 'The From address is the signed-in user\'s address (or a mailbox the user may Send As).' }],
      copy: [{ label: { ja: 'SMTPサーバー', en: 'SMTP server' }, value: 'smtp.office365.com' }],
    },
    {
      id: 'sign-in',
      title: { ja: '[認証] でサインインして確認する', en: 'Sign in and check' },
      items: [
        { ja: '[認証] をクリックし、ポップアップで利用者がサインインして同意します。', en: 'Click [Sign in]: the user signs in and consents in the popup.' },
        { ja: '[メール送信テスト] をクリックして、届くことを確認します。', en: 'Click [Send test email] and check that it arrives.' },
        { ja: '[保存] をクリックします。', en: 'Click [Save].' },
      ],
      notes: [{ ja: 'ポップアップがブロックされたら、このサイトのポップアップを許可してください。', en: 'If the popup is blocked, allow popups for this site.' }],
    },
    {
      id: 'tenant-policy',
      title: { ja: '組織のポリシー（セキュリティの既定値・条件付きアクセス）', en: 'Organisation policies (security defaults, Conditional Access)' },
      items: [
        { ja: 'セキュリティの既定値が有効だと SMTP AUTH は使えません。条件付きアクセスで代替するか、既定値を無効にします。', en: 'With security defaults on, SMTP AUTH cannot be used: use Conditional Access instead, or turn the defaults off.' },
        { ja: '条件付きアクセスがサインインをブロックしている場合は、Entra のサインイン ログでポリシーを確認します。', en: 'If Conditional Access blocks the sign-in, find the policy in the Entra sign-in logs.' },
        { ja: '組織全体で SMTP AUTH が無効なら、Exchange 管理センター > 設定 > メール フローで有効にします。', en: 'If SMTP AUTH is off organisation-wide, turn it on in Exchange admin center > Settings > Mail flow.' },
      ],
    },
  ]
}
