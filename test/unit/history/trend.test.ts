import {describe, expect, it} from 'vitest'

import {formatBaseline, formatBaselineList, formatSaved} from '../../../src/history/baseline.js'
import {formatTable, shortCommit, sparkline, utcTime} from '../../../src/history/format.js'
import type {Baseline, HistoryRun} from '../../../src/history/store.js'
import {formatTrend, trendOf, trendValue} from '../../../src/history/trend.js'

describe('sparkline', () => {
  it('scales each value between the smallest and the largest', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█')
    expect(sparkline([10, 0, 5])).toBe('█▁▅')
    expect(sparkline([-3, -1])).toBe('▁█')
  })

  it('leaves a gap for a missing value and draws a flat middle line when nothing moved', () => {
    expect(sparkline([1, null, 3])).toBe('▁ █')
    expect(sparkline([2, 2, Number.NaN, 2])).toBe('▄▄ ▄')
    expect(sparkline([null])).toBe(' ')
    expect(sparkline([])).toBe('')
  })
})

describe('table pieces', () => {
  it('pads columns to their widest cell, numbers to the right, without trailing blanks', () => {
    expect(
      formatTable(
        ['a', 'value', 'note'],
        [
          ['xyz', '1.5', ''],
          ['q', '12.25', 'ok'],
        ],
        ['left', 'right'],
      ),
    ).toEqual(['a    value  note', 'xyz    1.5', 'q    12.25  ok'])
  })

  it('shows UTC times and short commits, dirty trees marked', () => {
    expect(utcTime('2026-11-23T17:41:32.123Z')).toBe('2026-11-23 17:41:32')
    expect(shortCommit('0123456789abcdef', true)).toBe('0123456*')
    expect(shortCommit('0123456789abcdef')).toBe('0123456')
    expect(shortCommit(null)).toBe('—')
  })
})

function run(id: string, minute: number, targets: HistoryRun['targets'], extra: Partial<HistoryRun> = {}): HistoryRun {
  return {
    branch: 'main',
    ci: false,
    commit: `${minute}abcdef0123456789`,
    consensus: 0.9 + minute / 100,
    dirty: false,
    durationMs: 1000,
    finishedAt: `2026-11-23T10:0${minute}:30.000Z`,
    gate: 'shop',
    gateSha256: 'ab',
    id,
    interrupted: false,
    minConsensus: 0.8,
    outcome: 'PROCEED',
    rule: 4,
    shard: null,
    source: 'run',
    sourceFile: null,
    startedAt: `2026-11-23T10:0${minute}:00.000Z`,
    targets,
    toolVersion: '0.1.0',
    ...extra,
  }
}

const target = (
  status: 'FAIL' | 'PASS',
  confidence: number,
  metrics: HistoryRun['targets'][string]['metrics'] = {},
): HistoryRun['targets'][string] => ({
  confidence,
  level: 'error',
  metrics,
  p: confidence,
  reason: null,
  required: true,
  status,
  weight: 1,
})
const latency = (p95: number) => ({
  dimension: 'duration' as const,
  n: 100,
  name: 'latency',
  p95,
  type: 'samples' as const,
})
const errors = (events: number) => ({
  dimension: 'proportion' as const,
  events,
  n: 1000,
  name: 'errors',
  trials: 1000,
  type: 'proportion' as const,
})

// Newest first, as History.runs gives them.
const RUNS = [
  run(
    'shop-3',
    3,
    {api: target('FAIL', 0.2, {errors: errors(50), latency: latency(300)}), db: target('PASS', 0.99)},
    {dirty: true, interrupted: true, outcome: 'BLOCK'},
  ),
  run('shop-2', 2, {api: target('PASS', 0.97, {errors: errors(10), latency: latency(200)})}, {source: 'file'}),
  run('shop-1', 1, {api: target('PASS', 0.95, {latency: latency(100)}), db: target('PASS', 0.98)}),
]

describe("the trend of a gate's runs", () => {
  it('has a column per target with status and confidence, rows oldest first', () => {
    const trend = trendOf('shop', RUNS)
    expect(trend.mode).toBe('targets')
    expect(trend.columns).toEqual([
      {key: 'api', label: 'api'},
      {key: 'db', label: 'db'},
    ])
    expect(trend.rows.map((row) => row.run)).toEqual(['shop-1', 'shop-2', 'shop-3'])
    expect(trend.rows.map((row) => row.cells.db)).toEqual([
      {status: 'PASS', text: 'PASS 0.980', value: 0.98},
      {text: '—', value: null},
      {status: 'PASS', text: 'PASS 0.990', value: 0.99},
    ])
    const text = formatTrend(trend)
    expect(text.split('\n')).toEqual([
      'started (UTC)        commit    branch  outcome              consensus  api         db          run',
      '2026-11-23 10:01:00  1abcdef   main    PROCEED                  0.910  PASS 0.950  PASS 0.980  shop-1',
      '2026-11-23 10:02:00  2abcdef   main    PROCEED                  0.920  PASS 0.970  —           shop-2 (from ' +
        'file)',
      '2026-11-23 10:03:00  3abcdef*  main    BLOCK (interrupted)      0.930  FAIL 0.200  PASS 0.990  shop-3',
      'trend                                                             ▁▅█  ██▁         ▁ █',
      '',
      '3 runs of shop, oldest first; per target: status and confidence.',
    ])
  })

  it('with --target, has a column per metric: the p95 of samples, the rate of a proportion', () => {
    const trend = trendOf('shop', RUNS, {target: 'api'})
    expect(trend.columns).toEqual([
      {key: 'api/latency', label: 'p95(latency)'},
      {key: 'api/errors', label: 'errors'},
    ])
    expect(trend.rows.map((row) => row.cells['api/errors']!.text)).toEqual(['—', '1%', '5%'])
    expect(formatTrend(trend)).toMatch(/^trend +▁▅█ +▁▅█ +▁█$/m)
  })

  it('with --metric alone, has a column for each target that has it, labelled with the target', () => {
    const trend = trendOf('shop', RUNS, {metric: 'latency'})
    expect(trend.columns).toEqual([{key: 'api/latency', label: 'api p95(latency)'}])
    expect(trend.rows.map((row) => row.cells['api/latency']!.text)).toEqual(['100 ms', '200 ms', '300 ms'])
    expect(trendOf('shop', RUNS, {metric: 'nope'}).columns).toEqual([])
  })

  it('follows a value as it is, and draws nothing for a proportion with no trials', () => {
    expect(trendValue({dimension: 'rate', n: 1, name: 'rps', type: 'value', value: 42})).toBe(42)
    expect(trendValue({dimension: 'proportion', events: 0, n: 0, name: 'e', trials: 0, type: 'proportion'})).toBeNull()
    expect(trendValue({dimension: 'duration', n: 0, name: 'l', type: 'samples'})).toBeNull()
  })
})

describe('baseline output', () => {
  const record = {
    branch: 'main',
    commit: '0123456789',
    gate: 'shop',
    name: 'main',
    outcome: 'PROCEED' as const,
    run: 'shop-1',
    runs: ['shop-1'],
    set: false,
    savedAt: '2026-11-24T08:00:00.000Z',
    source: 'file' as const,
    startedAt: '2026-11-23T10:01:00.000Z',
  }

  it('says what was pinned, what it replaced and that an imported file has summaries only', () => {
    expect(
      formatSaved({
        baseline: record,
        importedFrom: 'ci/shop.json',
        metrics: 3,
        replaced: 'shop-0',
        targets: 2,
        warnings: [],
        withSamples: 0,
      }).split('\n'),
    ).toEqual([
      'pinned baseline "main" of gate shop: run shop-1 (started 2026-11-23 10:01:00 UTC, commit 0123456 on main, ' +
        'PROCEED)',
      '  2 targets, 3 metrics, 0 with kept samples; replaces run shop-0',
      '  imported from ci/shop.json: summaries only — relative checks on sample metrics will use summary values only',
    ])
  })

  it('lists baselines, and shows one per target and metric with what was kept', () => {
    expect(formatBaselineList([record])).toMatch(
      new RegExp(
        String.raw`^shop {2}main {2}shop-1 {2}2026-11-23 10:01:00 {2}0123456 {2}main {4}PROCEED {2}results file ` +
          String.raw`{2}2026-11-24 08:00:00$`,
        'm',
      ),
    )
    const baseline: Baseline = {
      ...record,
      // formatBaseline shows the newest pinned run's targets; the set is only counted.
      pinned: [],
      source: 'run',
      targets: {
        api: {
          metrics: {
            errors: {evidence: {events: 5, trials: 1000, type: 'proportion'}, summary: errors(5)},
            latency: {
              evidence: {dimension: 'duration', samples: [1, 2, 3], type: 'samples'},
              summary: {...latency(300), p50: 150, p99: 400},
            },
          },
          status: 'PASS',
        },
        down: {metrics: {}, status: 'NO_DATA'},
      },
    }
    const lines = formatBaseline(baseline).split('\n')
    expect(lines[0]).toBe(
      'baseline "main" of gate shop: run shop-1 (started 2026-11-23 10:01:00 UTC, commit 0123456 on main, PROCEED), ' +
        'saved 2026-11-24 08:00:00 UTC',
    )
    expect(lines.slice(2)).toEqual([
      'target  status   metric   type        n     value                                 kept',
      'api     PASS     errors   proportion  1000  5/1000 = 0.5%',
      'api     PASS     latency  samples     100   p50 150 ms · p95 300 ms · p99 400 ms  3 samples kept',
      'down    NO_DATA  —                          no evidence',
    ])
  })
})
