/**
 * The label of each settings field, for summaries such as "first correct these fields: …".
 *
 * @module
 */
import type { MessageKey } from '../i18n/types.ts'
import type { Settings } from './model.ts'

export const FIELD_LABELS: Record<keyof Settings, MessageKey> = {
  preset: 'preset.label',
  host: 'field.host',
  port: 'field.port',
  authType: 'field.authType',
  user: 'field.user',
  password: 'field.password',
  tenantId: 'field.tenantId',
  clientId: 'field.clientId',
  clientSecret: 'field.clientSecret',
  rememberSecret: 'field.remember',
  secretExpires: 'field.secretExpires',
  authorizeEndpoint: 'field.authorize',
  tokenEndpoint: 'field.token',
  tokenMode: 'field.tokenMode',
  security: 'field.security',
  to: 'field.to',
  from: 'field.from',
}
