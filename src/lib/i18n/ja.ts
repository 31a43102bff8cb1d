/**
 * Japanese strings of the settings page (the default language) needed for its first paint.
 * Field labels follow PRODUCT.md's table exactly. `en.ts` must have the same keys (checked by
 * the type and a test); the texts of sign-in, test send, diagnosis and guide are in `ja-later.ts`.
 *
 * @module
 */
export const ja = {
  app: {
    title: 'メール設定',
    tagline: 'Microsoft 365 の OAuth 2.0 (SMTP AUTH XOAUTH2) によるメール送信を設定し、認証してテストします。',
    language: '言語',
    nav: { settings: 'メール設定', guide: '管理者向け設定ガイド', inbox: 'サンドボックスの受信箱', gateway: 'ゲートウェイ' },
    skip: '本文へ移動',
  },
  preset: {
    label: 'プリセット',
    m365: 'Microsoft 365',
    sandbox: 'サンドボックス',
    custom: 'カスタム',
    sandboxMissing: 'このリレーではサンドボックスが動いていません（npm start で起動できます）。',
    sandboxUsers: 'サンドボックスの利用者',
  },
  field: {
    host: 'SMTPサーバー',
    port: 'SMTPポート',
    authType: '認証',
    user: 'ユーザー名',
    password: 'パスワード',
    tenantId: 'ディレクトリ (テナント) ID',
    tenantHint: '入力すると両方のエンドポイントの {YourTenantId} を置き換えます。',
    clientId: 'アプリケーション(クライアント)ID',
    clientSecret: 'クライアントシークレット',
    clientSecretHint: 'シークレットの「値」を入力します（「シークレット ID」ではありません）。',
    remember: 'この端末に記憶する',
    rememberWarn:
      '記憶すると、シークレットはこのブラウザーの localStorage に平文で保存されます。共用の端末では記憶しないでください。',
    secretExpires: 'クライアントシークレットの有効期限',
    secretExpiresHint: '既定は作成から 6 か月、最長 2 年です。',
    endpointParts: 'ホスト {{host}}・テナント {{tenant}}',
    endpointNoTenant: 'ホスト {{host}}・テナント未入力',
    authorize: '認可エンドポイント',
    token: 'トークンエンドポイント',
    tokenMode: 'トークン方式',
    redirectUri: 'このデプロイのリダイレクト URI',
    security: 'SSL',
    to: '送信先メールアドレス',
    from: '送信元メールアドレス',
    optional: '(任意)',
  },
  auth: { none: 'なし', password: 'SMTP認証', oauth2: 'OAuth 2.0' },
  security: { none: 'なし', tls: 'SSL/TLS', starttls: 'StartTLS' },
  mode: {
    'spa-pkce': {
      name: 'spa-pkce（シングルページ アプリケーション、推奨）',
      how: 'MSAL のポップアップで認可コード + PKCE。期限前に自動で更新します。',
      needs:
        'Entra のアプリ登録: [認証] で プラットフォーム「シングルページ アプリケーション」を追加し、次のリダイレクト URI を登録します。',
    },
    'web-secret': {
      name: 'web-secret（手順書どおりの Web 登録 + クライアントシークレット）',
      how: 'ポップアップで code id_token（PKCE・nonce 付き）を受け取り、リレーがクライアントシークレットでコードを交換します。リフレッシュトークンはこのタブの間だけ保持し、期限前に更新します。',
      needs:
        'Entra のアプリ登録: プラットフォーム「Web」に次のリダイレクト URI を登録し、「ID トークン」にチェックを入れ、クライアントシークレットを作成します。',
    },
    implicit: {
      name: 'implicit（暗黙的フロー）',
      how: 'ポップアップで access token を直接受け取ります。更新できないため、期限が来たら再度サインインを求めます。',
      needs:
        'Entra のアプリ登録: プラットフォーム「Web」に次のリダイレクト URI を登録し、「アクセス トークン」と「ID トークン」の両方にチェックします。',
    },
    notLocalhost:
      'この方式では、このページを http://localhost:<ポート>/ か https のアドレスで開いてください（Entra が http を許すのは localhost だけです）。',
    localhostPort:
      'このページは {{uri}} に戻ります。Entra は localhost のリダイレクト URI のポート番号を無視するので、登録するのは上の値だけです。',
    onServer:
      'このページは localhost ではなくサーバーで開かれているため、手順書の http://localhost の代わりに {{uri}} を登録します（https が必要です）。',
  },
  copy: { button: 'コピー', done: 'コピーしました', failed: 'コピーできませんでした。選択してコピーしてください。' },
  button: {
    signIn: '認証',
    signOut: 'サインアウト',
    cancel: 'キャンセル',
    send: 'メール送信テスト',
    save: '保存',
    export: 'エクスポート',
    import: 'インポート',
    reset: 'リセット',
  },
  settings: {
    saved: '保存しました（{{time}}）。',
    savedSecret: 'クライアントシークレットもこの端末に保存しました。',
    notSaved: '入力に誤りがあるため保存していません。赤い項目を確認してください。',
    reset: '設定を初期値に戻しました。',
    resetConfirm: 'すべての設定を初期値に戻しますか？',
    exportSecrets: 'シークレットとパスワードもエクスポートに含める',
    exported: 'エクスポートしました。',
    imported: 'インポートしました。',
    importFailed: 'インポートできません: {{reason}}',
    loadedOld: '以前の形式の保存データを読み込みました。',
    secretExpired: 'クライアントシークレットの有効期限が切れています（{{date}}）。Entra で新しいシークレットを作成してください。',
    secretExpiring: 'クライアントシークレットの有効期限まであと {{days}} 日です（{{date}}）。更新を準備してください。',
    fillExpiry: '今日から 6 か月後を入力',
    secretNoDate: '有効期限が未入力です。既定では作成日から 6 か月です。',
    status: '状態',
    toGateway: 'この設定でゲートウェイのメールボックスを作る',
    authorityUnreachable:
      'このパソコンのブラウザーから {{host}} に接続できません。ネットワーク・プロキシ・ファイアウォールを確認してください（このままではサインインできません）。',
  },
  error: {
    required: '入力してください。',
    host: 'ホスト名を入力してください（例: smtp.office365.com）。URL は不要です。',
    port: '1〜65535 の整数を入力してください（Microsoft 365 は 587）。',
    guid: 'GUID の形式ではありません（例: 00000000-0000-0000-0000-000000000000）。',
    secretLooksLikeId:
      'これはシークレットの「ID」（GUID）のようです。「値」を入力してください。',
    address: 'メールアドレスの形式ではありません（例: user@contoso.com または 名前 <user@contoso.com>）。',
    url: 'URL の形式ではありません。',
    https: 'https で始まる URL にしてください。',
    placeholder: '{YourTenantId} をディレクトリ (テナント) ID に置き換えてください。',
    authorizePath: 'パスが …/oauth2/v2.0/authorize で終わっていません。',
    tokenPath: 'パスが …/oauth2/v2.0/token で終わっていません。',
    sameTenant: '認可エンドポイントとトークンエンドポイントのテナントまたはホストが一致しません。',
    date: '日付の形式ではありません。',
    expiryTooLong: 'Entra のシークレットの有効期限は最長 2 年です。',
    securityPort: 'ポート 465 は通常 SSL/TLS、587 は StartTLS です。',
    json: 'JSON として読めません。',
    notSettings: 'mailkey の設定ファイルではありません。',
    newerVersion: 'より新しい版の mailkey で作られた設定です。',
  },
}
