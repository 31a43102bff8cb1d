import { describe, expect, it } from 'vitest'
import { en } from './en.ts'
import { enGateway } from './en-gateway.ts'
import { enLater } from './en-later.ts'
import { ja } from './ja.ts'
import { jaGateway } from './ja-gateway.ts'
import { jaLater } from './ja-later.ts'
import { pickLang } from './lang.ts'

function leaves(obj: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out.set(prefix + k, v)
    else for (const [kk, vv] of leaves(v as object, `${prefix}${k}.`)) out.set(kk, vv)
  }
  return out
}

describe('message catalogues', () => {
  const jaLeaves = leaves({ ...ja, ...jaLater, ...jaGateway })
  const enLeaves = leaves({ ...en, ...enLater, ...enGateway })

  it('splits first-paint, later and gateway texts without overlap', () => {
    const core = Object.keys(ja)
    for (const k of Object.keys(jaLater)) expect(core).not.toContain(k)
    for (const k of Object.keys(jaGateway)) expect([...core, ...Object.keys(jaLater)]).not.toContain(k)
  })

  it('have the same keys in Japanese and English', () => {
    expect([...enLeaves.keys()].sort()).toEqual([...jaLeaves.keys()].sort())
  })

  it('use the same placeholders in both languages', () => {
    for (const [key, text] of jaLeaves) {
      const names = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort()
      expect(names(enLeaves.get(key) ?? ''), key).toEqual(names(text))
    }
  })

  it('keep the field labels of PRODUCT.md', () => {
    expect(ja.field.host).toBe('SMTPサーバー')
    expect(ja.field.port).toBe('SMTPポート')
    expect(ja.field.authType).toBe('認証')
    expect(ja.field.clientId).toBe('アプリケーション(クライアント)ID')
    expect(ja.field.clientSecret).toBe('クライアントシークレット')
    expect(ja.field.authorize).toBe('認可エンドポイント')
    expect(ja.field.token).toBe('トークンエンドポイント')
    expect(ja.field.to).toBe('送信先メールアドレス')
    expect(ja.field.from).toBe('送信元メールアドレス')
    expect(ja.button.signIn).toBe('認証')
    expect(ja.button.send).toBe('メール送信テスト')
    expect(ja.button.save).toBe('保存')
    expect(en.field.host).toBe('SMTP server')
    expect(en.button.send).toBe('Send test email')
  })

  it('has no empty text', () => {
    for (const [key, text] of [...jaLeaves, ...enLeaves]) expect(text.trim(), key).not.toBe('')
  })
})

describe('pickLang', () => {
  it('defaults to Japanese', () => expect(pickLang('', null)).toBe('ja'))
  it('takes ?lang=en', () => expect(pickLang('?lang=en', 'ja')).toBe('en'))
  it('uses the remembered language', () => expect(pickLang('', 'en')).toBe('en'))
  it('ignores unknown values', () => expect(pickLang('?lang=fr', 'de')).toBe('ja'))
})
