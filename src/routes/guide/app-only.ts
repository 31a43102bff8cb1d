/**
 * The app-only path of the guide (M365-FACTS §4.2): what a tenant does so the gateway can send
 * with client credentials (SMTP.SendAsApp) and no user: the API permission and consent, the
 * Exchange Online PowerShell that registers the service principal and gives it the mailbox, and
 * the scoped alternative (RBAC for Applications). Every command is built with this tenant's
 * values, or a placeholder in <angle brackets> where the page does not know it yet.
 *
 * @module
 */
import type { Text } from '$lib/diagnosis/catalogue.ts'

export interface AppOnlyContext {
  tenantId: string
  clientId: string
  /** The sending mailbox (the settings page's From address). */
  mailbox: string
  /** The Enterprise application's object ID, as the admin typed it into the guide. */
  objectId: string
}

export interface Command {
  label: Text
  value: string
}

export interface AppOnlyStep {
  /** Anchored as `#app-<id>`. */
  id: 'permission' | 'connect' | 'service-principal' | 'mailbox-permission' | 'smtp-auth' | 'rbac'
  title: Text
  items: Text[]
  commands: Command[]
  notes?: Text[]
}

/** The scope the gateway asks for with client credentials (M365-FACTS §4.2). */
export const APP_SCOPE = 'https://outlook.office365.com/.default'

/** The group and scope names of the RBAC alternative (the admin may rename them). */
const GROUP = 'mailkey-senders'

const or = (value: string, placeholder: string) => value.trim() || placeholder

/** PowerShell single-quoted string: `'` doubled. */
const ps = (s: string) => `'${s.replace(/'/g, "''")}'`

export function appOnlySteps(c: AppOnlyContext): AppOnlyStep[] {
  const tenant = or(c.tenantId, '<Directory (tenant) ID>')
  const app = or(c.clientId, '<Application (client) ID>')
  const mailbox = or(c.mailbox, '<mailbox@contoso.com>')
  const sp = or(c.objectId, '<Enterprise application object ID>')
  return [
    {
      id: 'permission',
      title: { ja: 'アプリのアクセス許可 SMTP.SendAsApp を追加し、管理者の同意を与える', en: 'Add the application permission SMTP.SendAsApp and grant admin consent' },
      items: [
        { ja: 'Microsoft Entra 管理センター > アプリの登録 > (このアプリ) > [API のアクセス許可] > [アクセス許可の追加] を開きます。', en: 'Open Microsoft Entra admin center > App registrations > (this app) > [API permissions] > [Add a permission].' },
        { ja: '[所属する組織で使用している API] で「Office 365 Exchange Online」を探して選びます（Microsoft Graph ではありません）。', en: 'Under [APIs my organization uses], find and select “Office 365 Exchange Online” (not Microsoft Graph).' },
        { ja: '[アプリケーションの許可] > [SMTP] > [SMTP.SendAsApp] にチェックを入れ、[アクセス許可の追加] をクリックします。', en: 'Choose [Application permissions] > [SMTP] > tick [SMTP.SendAsApp], then [Add permissions].' },
        { ja: '[{組織} に管理者の同意を与えます] をクリックし、[はい] をクリックします（グローバル管理者などの権限が必要です）。', en: 'Click [Grant admin consent for {organisation}], then [Yes] (needs a Global Administrator or similar).' },
        { ja: '[証明書とシークレット] でクライアントシークレットを作成し、その「値」をゲートウェイのメールボックスに入力します。', en: 'Create a client secret under [Certificates & secrets] and enter its Value in the gateway’s mailbox.' },
      ],
      commands: [
        { label: { ja: 'アプリケーション(クライアント)ID', en: 'Application (client) ID' }, value: app },
        { label: { ja: 'ゲートウェイが要求するスコープ', en: 'Scope the gateway asks for' }, value: APP_SCOPE },
      ],
      notes: [
        { ja: 'アプリのみのトークンには、クライアントシークレットのある登録（手順書の Web 登録）が必要です。シングルページ アプリケーションだけの登録では取得できません。', en: 'App-only tokens need a registration with a client secret (the guide’s Web registration); a single-page-application-only registration cannot get them.' },
        { ja: 'アクセス トークンには roles: ["SMTP.SendAsApp"] が入り、scp はありません。', en: 'The access token then carries roles: ["SMTP.SendAsApp"] and no scp.' },
      ],
    },
    {
      id: 'connect',
      title: { ja: 'Exchange Online PowerShell に接続する', en: 'Connect to Exchange Online PowerShell' },
      items: [
        { ja: 'Exchange 管理者の PowerShell で、ExchangeOnlineManagement モジュールを入れて（初回のみ）接続します。', en: 'In PowerShell as an Exchange administrator, install the ExchangeOnlineManagement module (once) and connect.' },
      ],
      commands: [
        { label: { ja: 'モジュールのインストール（初回のみ）', en: 'Install the module (once)' }, value: 'Install-Module -Name ExchangeOnlineManagement' },
        { label: { ja: '接続', en: 'Connect' }, value: `Connect-ExchangeOnline -Organization ${tenant}` },
      ],
    },
    {
      id: 'service-principal',
      title: { ja: 'Exchange にサービス プリンシパルを登録する', en: 'Register the service principal in Exchange' },
      items: [
        { ja: 'エンタープライズ アプリケーションのオブジェクト ID を調べ、下の欄に入力すると、コマンドに入ります。', en: 'Look up the Enterprise application’s object ID and type it into the box below: the commands pick it up.' },
      ],
      commands: [
        { label: { ja: 'サービス プリンシパルの登録', en: 'Register the service principal' }, value: `New-ServicePrincipal -AppId ${app} -ObjectId ${sp} -DisplayName ${ps('mailkey gateway')}` },
        { label: { ja: '登録の確認', en: 'Check the registration' }, value: `Get-ServicePrincipal -Identity ${sp} | Format-List DisplayName,AppId,ObjectId` },
      ],
    },
    {
      id: 'mailbox-permission',
      title: { ja: 'サービス プリンシパルにメールボックスへの FullAccess を与える', en: 'Give the service principal FullAccess to the mailbox' },
      items: [
        { ja: 'ゲートウェイが送信元にするメールボックスごとに実行します。', en: 'Run it for every mailbox the gateway sends as.' },
      ],
      commands: [
        { label: { ja: 'FullAccess', en: 'FullAccess' }, value: `Add-MailboxPermission -Identity ${mailbox} -User ${sp} -AccessRights FullAccess` },
        { label: { ja: '別のアドレスとして送る場合 (Send As)', en: 'To send as another address (Send As)' }, value: `Add-RecipientPermission -Identity <other@contoso.com> -Trustee ${sp} -AccessRights SendAs` },
      ],
      notes: [{ ja: '権限の反映には時間がかかることがあります。その間の送信は 535 5.7.3 や 430 4.2.0 で失敗します。', en: 'Permissions can take a while to apply; sends in between fail with 535 5.7.3 or 430 4.2.0.' }],
    },
    {
      id: 'smtp-auth',
      title: { ja: 'メールボックスで SMTP AUTH を有効にする', en: 'Enable SMTP AUTH on the mailbox' },
      items: [
        { ja: 'OAuth でも、メールボックス（と組織）で SMTP AUTH が有効でなければ送信できません（535 5.7.139）。', en: 'Even with OAuth, SMTP AUTH must be on for the mailbox (and the organisation), else sending fails (535 5.7.139).' },
      ],
      commands: [
        { label: { ja: 'メールボックスの SMTP AUTH', en: 'SMTP AUTH for the mailbox' }, value: `Set-CASMailbox -Identity ${mailbox} -SmtpClientAuthenticationDisabled $false` },
      ],
    },
    {
      id: 'rbac',
      title: { ja: '代わりの方法: RBAC for Applications（送信できるメールボックスを限る）', en: 'The alternative: RBAC for Applications (limit the mailboxes it may send as)' },
      items: [
        { ja: 'アプリのアクセス許可 SMTP.SendAsApp は組織のすべてのメールボックスに効きます。限りたいときは、Entra の SMTP.SendAsApp を付けずに（付けたなら外して）、Exchange の役割の割り当てで範囲を決めます。', en: 'The SMTP.SendAsApp application permission covers every mailbox of the organisation. To limit it, leave SMTP.SendAsApp off the app in Entra (remove it if added) and scope an Exchange role assignment instead.' },
        { ja: 'サービス プリンシパルの登録（上の New-ServicePrincipal）はこの方法でも必要です。FullAccess は不要です。', en: 'The service principal registration (New-ServicePrincipal above) is still needed; FullAccess is not.' },
        { ja: '送信を許すメールボックスをメールが有効なセキュリティ グループに入れ、そのグループで管理スコープを作り、役割を割り当てます。', en: 'Put the allowed mailboxes into a mail-enabled security group, make a management scope of that group, and assign the role to the app with that scope.' },
      ],
      commands: [
        { label: { ja: 'グループ', en: 'Group' }, value: `New-DistributionGroup -Name ${ps(GROUP)} -Type Security -Members ${mailbox}` },
        { label: { ja: 'グループの識別名', en: 'The group’s distinguished name' }, value: `$dn = (Get-DistributionGroup -Identity ${ps(GROUP)}).DistinguishedName` },
        { label: { ja: '管理スコープ', en: 'Management scope' }, value: `New-ManagementScope -Name ${ps(GROUP)} -RecipientRestrictionFilter "MemberOfGroup -eq '$dn'"` },
        { label: { ja: '役割の割り当て', en: 'Role assignment' }, value: `New-ManagementRoleAssignment -Role ${ps('Application SMTP.SendAsApp')} -App ${app} -CustomResourceScope ${ps(GROUP)}` },
      ],
      notes: [{ ja: 'Microsoft は新しいアプリケーション アクセス ポリシー (App Access Policy) を作らないよう案内しています。', en: 'Microsoft advises against creating new Application Access Policies.' }],
    },
  ]
}
