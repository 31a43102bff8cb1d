/**
 * Figures side by side: a table for people and one JSON line per figure for machines.
 *
 * @module
 */

export interface Figure {
  id: string
  label: string
  unit: string
  ours: number | undefined
  nodemailer: number | undefined
  /** What the issue asks for, in words. */
  target?: string
  /** Whether the target holds; undefined when there is none or a side is missing. */
  met?: boolean
  note?: string
}

export const ratio = (f: Figure) =>
  f.ours !== undefined && f.nodemailer !== undefined && f.nodemailer !== 0
    ? f.ours / f.nodemailer
    : undefined

const fmt = (n: number | undefined, digits = 2) =>
  n === undefined || Number.isNaN(n) ? '–' : Number.isInteger(n) ? String(n) : n.toFixed(digits)

/** `peer` names the other side's column (the `nodemailer` field holds its figures). */
export function table(figures: Figure[], peer = 'nodemailer', ratioHeader = 'ours/nm'): string {
  const rows = [
    ['figure', 'unit', 'ours', peer, ratioHeader, 'target', 'met'],
    ...figures.map((f) => [
      f.label,
      f.unit,
      fmt(f.ours),
      fmt(f.nodemailer),
      fmt(ratio(f)),
      f.target ?? '',
      f.met === undefined ? '' : f.met ? 'yes' : 'NO',
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)))
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ').trimEnd()
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-')
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n')
}

/** `peer`: the key of the other side's figure (`nodemailer` unless told). */
export function jsonLine(f: Figure, peer = 'nodemailer'): string {
  const r = ratio(f)
  const round = (n: number | undefined) => (n === undefined ? null : Math.round(n * 1000) / 1000)
  return JSON.stringify({
    bench: 'mailkey',
    figure: f.id,
    unit: f.unit,
    ours: round(f.ours),
    [peer]: round(f.nodemailer),
    ratio: round(r),
    ...(f.target ? { target: f.target, met: f.met ?? null } : {}),
    ...(f.note ? { note: f.note } : {}),
  })
}
