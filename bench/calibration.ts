// The calibration section of `npm run bench` (`-- --only calibration` runs it alone): for every method, direction,
// shape and n, the share of sample sets the engine PASSes and FAILs with the truth exactly on the threshold (each at
// most 5% if "PASS at confidence 0.95" holds its promise), and its power with the truth 20% on the holding side
// (0.8× the threshold for <, 1.25× for >). The same settings and slack as test/unit/engine/calibration.test.ts, with
// `scale` times its sets (its sets first, then more): a share from 200 sets has a standard error of 1.5 points.
import {
  type Direction,
  SHAPES,
  SIZES,
  type SampleMethod,
  type Tally,
  setsFor,
  slack,
  tallyProportion,
  tallySamples,
} from '../test/unit/engine/calibration.js'

export interface CalibrationRow {
  method: string
  direction: Direction
  shape: string
  cells: Array<{n: number; sets: number; falsePass: number; falseFail: number; power: number; withinSlack: boolean}>
}

const METHODS: readonly SampleMethod[] = ['p50', 'p95', 'mean', 'stddev']
const RATES = [0.01, 0.05] as const
const POWER_FACTOR: Readonly<Record<Direction, number>> = {'<': 0.8, '>': 1.25}

function cell(n: number, atThreshold: Tally, moved: Tally): CalibrationRow['cells'][number] {
  const most = slack(atThreshold.sets)
  return {
    falseFail: atThreshold.fail / atThreshold.sets,
    falsePass: atThreshold.pass / atThreshold.sets,
    n,
    power: moved.pass / moved.sets,
    sets: atThreshold.sets,
    withinSlack: atThreshold.pass <= most && atThreshold.fail <= most,
  }
}

export function calibrationRows(scale: number, progress: (line: string) => void = () => {}): CalibrationRow[] {
  const sets = (method: SampleMethod | 'proportion', n: number) => setsFor(method, n) * scale
  const rows: CalibrationRow[] = []
  for (const method of METHODS) {
    for (const direction of ['<', '>'] as const) {
      for (const shape of SHAPES) {
        const cells = SIZES.map((n) =>
          cell(
            n,
            tallySamples(shape, method, direction, n, sets(method, n)),
            tallySamples(shape, method, direction, n, sets(method, n), POWER_FACTOR[direction]),
          ),
        )
        rows.push({cells, direction, method, shape: shape.name})
        progress(`${method} ${direction} ${shape.name}`)
      }
    }
  }

  for (const direction of ['<', '>'] as const) {
    for (const rate of RATES) {
      const cells = SIZES.map((n) =>
        cell(
          n,
          tallyProportion(rate, direction, n, sets('proportion', n)),
          tallyProportion(rate, direction, n, sets('proportion', n), POWER_FACTOR[direction]),
        ),
      )
      rows.push({cells, direction, method: 'proportion', shape: `rate ${rate * 100}%`})
      progress(`proportion ${direction} ${rate}`)
    }
  }

  return rows
}

const pct = (x: number): string => `${Math.round(x * 100)}`

/** Every cell: false PASS / false FAIL / power, in % of the sets. */
export function fullTable(rows: CalibrationRow[]): string {
  const head = `| method | op | shape | ${SIZES.map((n) => `n=${n}`).join(' | ')} | within slack |`
  const rule = `|---|---|---|${SIZES.map(() => '---').join('|')}|---|`
  const lines = rows.map((row) => {
    const cells = row.cells.map((c) => `${pct(c.falsePass)} / ${pct(c.falseFail)} / ${pct(c.power)}`).join(' | ')
    const outside = row.cells.filter((c) => !c.withinSlack).map((c) => c.n)
    const slack = outside.length === 0 ? 'yes' : `**no** (n = ${outside.join(', ')})`
    return `| ${[row.method, row.direction, row.shape, cells, slack].join(' | ')} |`
  })
  return [head, rule, ...lines].join('\n')
}

/**
 * One line per method, direction and shape: the worst false PASS and false FAIL over n, and power at n = 200 and 2000.
 */
export function compactTable(rows: CalibrationRow[]): string {
  const worst = (row: CalibrationRow, of: 'falsePass' | 'falseFail'): string => {
    const top = row.cells.reduce((a, b) => (b[of] > a[of] ? b : a))
    return top[of] === 0 ? '0%' : `${(top[of] * 100).toFixed(1)}% (n=${top.n})`
  }
  const at = (row: CalibrationRow, n: number): string => `${pct(row.cells.find((c) => c.n === n)?.power ?? 0)}%`
  const head = '| method | op | shape | worst false PASS | worst false FAIL | power n=200 | power n=2000 |'
  const lines = rows.map((row) => {
    const cells = [worst(row, 'falsePass'), worst(row, 'falseFail'), at(row, 200), at(row, 2000)]
    return `| ${[row.method, row.direction, row.shape, ...cells].join(' | ')} |`
  })
  return [head, '|---|---|---|---|---|---|---|', ...lines].join('\n')
}
