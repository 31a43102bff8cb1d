import { describe, expect, it } from 'vitest'
import { formatDate, formatDateTime, localeFor } from './datetime.ts'

const WHEN = Date.UTC(2026, 11, 2, 5, 23, 28)

describe('formatDateTime', () => {
  it('shows date, time to the second and zone in the admin\'s locale', () => {
    expect(formatDateTime(WHEN, 'ja', { timeZone: 'Asia/Tokyo', locales: [] })).toBe('2026/12/02 14:23:28 JST')
    expect(formatDateTime(WHEN, 'en', { timeZone: 'UTC', locales: [] })).toBe('2 Dec 2026, 05:23:28 UTC')
    // An American browser keeps its own order in English; the Japanese page stays Japanese.
    expect(formatDateTime(WHEN, 'en', { timeZone: 'America/New_York', locales: ['en-US'] })).toBe(
      'Dec 2, 2026, 12:23:28 AM EST'
    )
    expect(formatDateTime(WHEN, 'ja', { timeZone: 'Asia/Tokyo', locales: ['en-US', 'ja-JP'] })).toBe(
      '2026/12/02 14:23:28 JST'
    )
  })

  it('reads Date objects, epoch milliseconds, ISO strings and RFC 5322 dates alike', () => {
    const opts = { timeZone: 'Asia/Tokyo', locales: [] }
    const one = formatDateTime(WHEN, 'ja', opts)
    expect(formatDateTime(new Date(WHEN), 'ja', opts)).toBe(one)
    expect(formatDateTime('2026-12-02T05:23:28.000Z', 'ja', opts)).toBe(one)
    expect(formatDateTime('Wed, 02 Dec 2026 14:23:28 +0900', 'ja', opts)).toBe(one)
    expect(formatDateTime('not a date', 'ja', opts)).toBe('not a date')
  })

  it('shows a calendar date in the same style, never shifted by the zone', () => {
    expect(formatDate('2027-06-02', 'ja', { locales: [] })).toBe('2027/06/02')
    expect(formatDate('2027-06-02', 'en', { locales: [] })).toBe('2 Jun 2027')
    expect(formatDate('', 'ja')).toBe('')
  })

  it('picks the browser locale of the page language, else Japan or Britain', () => {
    expect(localeFor('en', ['ja-JP', 'en-US'])).toBe('en-US')
    expect(localeFor('en', ['ja-JP'])).toBe('en-GB')
    expect(localeFor('ja', ['ja'])).toBe('ja')
    expect(localeFor('ja', ['fr-FR'])).toBe('ja-JP')
  })
})
