// Small pure pieces of the history's terminal output: sparklines, aligned tables, dates and commits.

const BARS = '▁▂▃▄▅▆▇█'

/**
 * One bar per value, scaled between the smallest and largest of them; a gap for a missing value,
 * and a flat middle line when all values are equal (nothing moved, and nothing is "low").
 */
export function sparkline(values: ReadonlyArray<number | null>): string {
  const present = values.filter((value): value is number => value !== null && Number.isFinite(value))
  const low = Math.min(...present)
  const high = Math.max(...present)
  return values
    .map((value) => {
      if (value === null || !Number.isFinite(value)) return ' '
      if (high === low) return BARS[3]
      return BARS[Math.round(((value - low) / (high - low)) * (BARS.length - 1))]
    })
    .join('')
}

export type Align = 'left' | 'right'

/** Columns padded to their widest cell (header included), two spaces apart, no trailing blanks. */
export function formatTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  align: readonly Align[] = [],
): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        align[column] === 'right' ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map((row) => line(row))]
}

/** "2026-11-23 17:41:32" from an ISO timestamp: UTC, as the run ids are. */
export function utcTime(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ')
}

/** The short commit, "*" when the tree had uncommitted changes; "—" outside git. */
export function shortCommit(commit: string | null, dirty: boolean | null = false): string {
  return commit === null ? '—' : `${commit.slice(0, 7)}${dirty ? '*' : ''}`
}
