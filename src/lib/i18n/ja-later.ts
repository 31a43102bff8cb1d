/**
 * Japanese texts needed only after the first paint: sign-in, test send, diagnosis, guide.
 * Loaded with the panels that show them (i18n.svelte.ts `loadLater`).
 *
 * @module
 */
export const jaLater = {
  signin: {
    heading: 'サインイン',
    signedOut: 'サインインしていません。',
    signingIn: 'ポップアップでサインインしています…',
    signingInHint: 'ポップアップが見えないときは、ブラウザーがブロックしていないか確認してください。',
    signedIn: '{{account}} としてサインインしています。',
    validUntil: 'トークンの有効期限: {{time}}',
    left: '残り {{left}}',
    scopes: '許可されたスコープ: {{scopes}}',
    stale: 'トークン方式・クライアント ID・トークンエンドポイントが変わったため、このトークンは使えません。もう一度 [認証] を押してください。',
    renewing: 'トークンを更新しています…',
    expired: 'トークンの有効期限が切れました。',
    expiredImplicit: 'トークンの有効期限が切れました。implicit 方式は更新できないため、もう一度 [認証] を押してください。',
    implicitNote: 'implicit 方式は更新できません。期限が来たら再度サインインを求めます。',
    renewsAt: '期限の前に自動で更新します。',
    failed: 'サインインに失敗しました。',
    needOAuth: '[認証] は認証方式が OAuth 2.0 のときに使います。',
    fixFields: '先に次の項目を正しく入力してください: {{fields}}',
  },
  send: {
    heading: 'メール送信テスト',
    sending: '送信しています…',
    ok: '送信に成功しました。',
    failed: '送信に失敗しました。',
    response: 'サーバーの応答',
    messageId: 'Message-ID',
    accepted: '受け付けられた宛先',
    rejected: '拒否された宛先',
    timings: '所要時間: 接続 {{connect}} ms、TLS {{tls}} ms、認証 {{auth}} ms、合計 {{total}} ms',
    transcript: 'SMTP のやりとり（トークンは伏せてあります）',
    needToken: '送信には OAuth 2.0 のトークンが必要です。先に [認証] を押してください。',
    subject: 'mailkey テストメール ({{time}})',
    body: 'これは mailkey が {{time}} に送信したテストメールです。\n\nこのメールが届いていれば、SMTP サーバー {{host}} への OAuth 2.0 (XOAUTH2) 送信の設定は正しく動いています。\n\n-- \nmailkey',
    bodyPlain: 'これは mailkey が {{time}} に送信したテストメールです。\n\nこのメールが届いていれば、SMTP サーバー {{host}} への送信の設定は正しく動いています。\n\n-- \nmailkey',
    none: '-',
  },
  diag: {
    what: '何が起きたか',
    cause: '考えられる原因',
    fix: '直し方',
    step: '手順を開く: {{step}}',
    codes: 'コード',
    details: 'サーバーからの詳細',
  },
  guide: {
    title: '管理者向け設定ガイド',
    intro:
      'Microsoft 365 と Entra で行う設定を、手順書の順に説明します。コピー欄の値は、このデプロイと選んだトークン方式に合わせてあります。',
    mode: '説明するトークン方式',
    who: '作業する人',
    back: 'メール設定に戻る',
  },
  steps: {
    'smtp-auth': 'Microsoft 365 の利用者で SMTP AUTH を有効にする',
    'register-app': 'アプリを登録する',
    authentication: '認証を登録する（プラットフォームとリダイレクト URI）',
    'client-secret': 'クライアントシークレットを作成する',
    'api-permissions': 'API のアクセス許可を追加する',
    consent: '管理者の同意を与える',
    'overview-values': '値を控える（クライアント ID・テナント ID）',
    'mail-settings': 'メール設定を入力する',
    'sign-in': '[認証] でサインインする',
    'tenant-policy': '組織のポリシー（セキュリティの既定値・条件付きアクセス）',
    none: '-',
  },
  time: { left: '{{m}} 分 {{s}} 秒', leftSeconds: '{{s}} 秒' },
}
