/**
 * Japanese texts of the gateway page (/gateway) and the guide's app-only path. Loaded only by
 * those pages (i18n.svelte.ts `loadGateway`), never by the settings page's first paint.
 *
 * @module
 */
import { jaSending } from './ja-sending.ts'
export const jaGateway = {
  gw: {
    gateway: {
      title: 'ゲートウェイ',
      intro:
        'リレーがメールボックスの資格情報を暗号化して保管し、トークンを自分で更新して、複合機やスクリプトの代わりに Microsoft 365 へ送信します。',
      loading: '読み込んでいます…',
      off: 'このリレーではゲートウェイが動いていません（npm start で起動すると有効になります）。',
      back: 'メール設定に戻る',
      guide: 'アプリのみ (app) の設定手順',
      refresh: '最新の状態にする',
    },
    setup: {
      title: 'ゲートウェイ管理者のパスワードを決める',
      intro:
        'リレーが初回起動時に表示した一回限りのリンクです。ゲートウェイ管理者のパスワードを決めてください（12 文字以上）。このリンクは一度しか使えません。',
      password: '新しいパスワード',
      confirm: 'パスワード（確認）',
      hint: '12 文字以上。ほかで使っていないものにしてください。',
      submit: 'パスワードを設定する',
      tooShort: '12 文字以上にしてください（いま {{n}} 文字）。',
      mismatch: '確認のパスワードが一致しません。',
      noCode:
        'このリンクにはセットアップ コードがありません。リレーが表示したリンク（…/gateway/setup#code=…）をそのまま開いてください。',
      working: '設定しています…',
      failed: 'パスワードを設定できませんでした。',
      done: 'パスワードを設定し、サインインしました。',
      open: 'ゲートウェイを開く',
    },
    login: {
      title: 'ゲートウェイ管理者としてサインイン',
      password: '管理者パスワード',
      submit: 'サインイン',
      working: '確認しています…',
      failed: 'サインインできませんでした。',
      wrong: 'パスワードが違います。',
      slow: '失敗が続いたため、次の試行まで待つ必要があります。しばらくしてからもう一度試してください。',
      logout: 'サインアウト',
      signedIn: 'ゲートウェイ管理者としてサインインしています。',
      loggedOut: 'サインアウトしました。',
      notSetUp:
        '管理者パスワードがまだない場合は、リレーの初回起動時に表示されたセットアップ リンク（…/gateway/setup#code=…）を開くか、リレーに RELAY_ADMIN_PASSWORD を設定してください。',
    },
    mailboxes: {
      title: 'メールボックス',
      none: 'まだメールボックスがありません。下の「メールボックスを追加」から作成します。',
      add: 'メールボックスを追加',
      loadFailed: 'メールボックスの一覧を読み込めませんでした。',
    },
    state: {
      'needs-sign-in': 'サインインが必要',
      ready: '送信できます',
      'reauth-needed': '再認証が必要',
      error: 'エラー',
    },
    stateHelp: {
      'needs-sign-in':
        'まだトークンがありません。[再認証] を押し、ポップアップでメールボックスの利用者としてサインインすると、リレーがリフレッシュトークンを保管して送信できるようになります。',
      ready: 'リレーがトークンを保管し、期限の 10 分前に自動で更新します。',
      'reauth-needed':
        'リレーはこのメールボックスのトークンを更新できなくなりました。下の原因を直してから [再認証] を押してください。それまで、このメールボックス宛てのメールはキューで待ちます。',
      error: 'リレーはトークンを取得できませんでした。下の原因を直すと、次の更新で回復します。',
    },
    field: {
      name: '名前',
      nameHint: '管理者がわかる名前（例: 複合機 1 階）。',
      address: 'メールボックスのアドレス',
      addressHint: '送信元になるメールボックス。app では、サービス プリンシパルに FullAccess を与えたメールボックスです。',
      account: 'アカウント',
      tokenSource: 'トークンの取得元',
      tokenValidUntil: 'トークンの有効期限',
      nextRenewal: '次の更新',
      secretExpires: 'シークレットの有効期限',
      state: '状態',
      testTo: 'テストの送信先',
    },
    source: {
      app: 'app（アプリのみ: クライアント資格情報、SMTP.SendAsApp）',
      delegated: 'delegated（委任: 利用者が一度サインイン、手順書の Web 登録）',
      appShort: 'app（アプリのみ）',
      delegatedShort: 'delegated（委任）',
    },
    advice: {
      choose:
        '複合機やスクリプトからの無人送信には、利用者のサインインが切れる心配のない app（アプリのみ）を選びます。組織がアプリのアクセス許可（SMTP.SendAsApp）を認めない場合は、手順書の Web 登録のまま delegated を選びます。',
      spa: 'spa-pkce と implicit は無人送信に使えません（SPA のリフレッシュトークンは 24 時間で切れ、implicit にはリフレッシュトークンがありません）。',
    },
    secret: {
      left: 'あと {{days}} 日（{{date}}）',
      today: '今日で期限切れになります（{{date}}）',
      expired: '期限切れです（{{date}}）。Entra で新しいシークレットを作成してください。',
      unknown: '未入力',
    },
    time: {
      none: '—',
      in: '{{when}}（あと {{left}}）',
      ago: '{{when}}（{{left}} 前）',
      minutes: '{{m}} 分',
      hours: '{{h}} 時間 {{m}} 分',
      days: '{{d}} 日',
    },
    button: {
      reauth: '再認証',
      deviceCode: 'デバイス コードでサインイン',
      test: 'テスト送信',
      delete: '削除',
      create: 'メールボックスを作成',
      cancel: 'キャンセル',
      sandbox: 'サンドボックスの値を入れる',
    },
    create: {
      title: 'メールボックスを追加',
      secretHint: 'シークレットの「値」。リレーが暗号化して保管し、以後ページには表示しません。',
      fromSettings:
        'メール設定の値を入れました。クライアントシークレットをメール設定で入力済みなら、それも移してあります。',
      secretAgain: 'クライアントシークレットはメール設定に残っていないため、ここで一度だけ入力してください。',
      working: '作成しています…',
      created: 'メールボックス「{{name}}」を作成しました。',
      failed: 'メールボックスを作成できませんでした。',
    },
    reauth: {
      appOnly:
        'アプリのみ (app) のメールボックスでこの認証エラーが出るときは、Exchange Online でサービス プリンシパルが登録されているか（New-ServicePrincipal に「エンタープライズ アプリケーション」のオブジェクト ID を使ったか）と、このメールボックスへの FullAccess（Add-MailboxPermission）を確認してください。',
      appOnlyLink: 'アプリのみの手順を開く',
      working: 'ポップアップでサインインしています…',
      handing: 'サインインのコードをリレーに渡しています…',
      done: '「{{name}}」のサインインが完了しました。',
      failed: 'サインインできませんでした。',
      notLocalhost:
        'このページは localhost 以外の名前で開かれているため、ポップアップのリダイレクト URI（http://localhost）が使えません。[デバイス コードでサインイン] を使うか、リレーのマシンで http://localhost:<ポート>/gateway を開いてください。',
      noApp: 'app（アプリのみ）のメールボックスはサインイン不要です。リレーがクライアント資格情報でトークンを取得します。',
    },
    device: {
      title: 'デバイス コードでサインイン',
      open: '別の端末のブラウザーでも構いません。次のページを開いてください:',
      enter: '次のコードを入力し、メールボックスの利用者としてサインインします:',
      code: 'コード',
      uri: 'サインインのページ',
      expires: 'コードの有効期限: {{when}}',
      waiting: 'サインインを待っています。完了するとこの表示は「送信できます」に変わります。',
      done: 'デバイス コードでのサインインが完了しました。',
      failed: 'デバイス コードを開始できませんでした。',
      needsPublic: 'アプリの登録で「パブリック クライアント フローを許可する」を「はい」にする必要があります。',
    },
    test: {
      sending: 'テストメールを送信しています…',
      subject: 'mailkey ゲートウェイのテスト（{{name}}、{{time}}）',
      failed: 'テスト送信に失敗しました。',
    },
    remove: {
      confirm: 'メールボックス「{{name}}」を削除しますか？ 保管している資格情報とトークンも削除されます。',
      done: 'メールボックス「{{name}}」を削除しました。',
      failed: '削除できませんでした。',
    },
    appGuide: {
      title: 'アプリのみ (app) で無人送信する手順',
      intro:
        'ゲートウェイが利用者のサインインなしで送信するための設定です。値はこのページの設定（テナント ID・クライアント ID・送信元）で埋めてあります。',
      chooseTitle: 'どのトークンの取得元を選ぶか',
      deviceTitle: 'デバイス コードとポップアップの使い分け（delegated）',
      device:
        'ゲートウェイのページを http://localhost で開けるとき（リレーと同じマシン）は、[再認証] のポップアップを使います。LAN のサーバー名や IP アドレスなど localhost 以外の名前で開くときは、Web 登録のリダイレクト URI（http://localhost）に戻れないため、[デバイス コードでサインイン] を使います。デバイス コードには、アプリの登録の [認証] で「パブリック クライアント フローを許可する」を「はい」にしておく必要があります。',
      objectIdWarn:
        '注意: ここで使うのは「エンタープライズ アプリケーション」のオブジェクト ID です。「アプリの登録」の概要に出るオブジェクト ID ではありません。違う ID を使うと認証が失敗します（535 5.7.3）。',
      objectIdLabel: 'エンタープライズ アプリケーションのオブジェクト ID',
      objectIdWhere:
        'Microsoft Entra 管理センター > エンタープライズ アプリケーション > (このアプリ) > 概要 の「オブジェクト ID」をコピーします（アプリの登録 > 概要 の「マネージド アプリケーション」のリンクからも開けます）。',
      values: 'この手順で使う値',
    },
  },
  ...jaSending,
}
