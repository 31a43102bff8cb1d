/**
 * Admin-center paths and shared fixes the diagnosis texts name, in Japanese (J) and English (E).
 *
 * @module
 */
import type { Text } from './catalogue.ts'

export const J = {
  smtpAuth: 'Microsoft 365 管理センター > ユーザー > アクティブなユーザー > (送信者) > メール > メール アプリの管理 > 「認証済み SMTP」',
  auth: 'Microsoft Entra 管理センター > アプリの登録 > (アプリ) > 認証',
  secret: 'Microsoft Entra 管理センター > アプリの登録 > (アプリ) > 証明書とシークレット',
  perms: 'Microsoft Entra 管理センター > アプリの登録 > (アプリ) > API のアクセス許可',
  overview: 'Microsoft Entra 管理センター > アプリの登録 > (アプリ) > 概要',
}
export const E = {
  smtpAuth: 'Microsoft 365 admin center > Users > Active users > (the sender) > Mail > Manage email apps > "Authenticated SMTP"',
  auth: 'Microsoft Entra admin center > App registrations > (the app) > Authentication',
  secret: 'Microsoft Entra admin center > App registrations > (the app) > Certificates & secrets',
  perms: 'Microsoft Entra admin center > App registrations > (the app) > API permissions',
  overview: 'Microsoft Entra admin center > App registrations > (the app) > Overview',
}
export const signInAgain: Text = { ja: '[認証] を押して、もう一度サインインしてください。', en: 'Press [Sign in] and sign in again.' }
export const retryLater: Text = { ja: '数分待ってから、もう一度送信してください。', en: 'Wait a few minutes and send again.' }

