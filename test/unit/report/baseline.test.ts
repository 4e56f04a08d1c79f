import {describe, expect, it} from 'vitest'

import {renderComment} from '../../../src/github/comment-body.js'
import {renderReport} from '../../../src/report/index.js'
import type {RunResults} from '../../../src/results/types.js'
import {validateResults} from '../../../src/results/validate.js'
import {copy, loadFixture, raggedTables} from './helpers.js'

/** The proceed fixture with its first expectation turned into a relative one that found a baseline. */
function compared(): RunResults {
  const results = copy(loadFixture('proceed'))
  const target = results.targets[0]!
  const expectation = target.expectations[0]!
  Object.assign(expectation, {
    baseline: {
      change: 0.123,
      changeInterval95: [0.081, 0.16],
      mannWhitneyP: 0.0004,
      model: 'bootstrap',
      name: 'main',
      run: 'phase-2-20261101T120000Z',
      value: 36.7,
    },
    expression: 'p95(allocation_latency) <= baseline * 1.10',
    threshold: 40.37,
  })
  return results
}

describe('change vs baseline in the reports', () => {
  it('is valid in the results schema (additive to version 1)', () => {
    expect(() => validateResults(JSON.parse(JSON.stringify(compared())))).not.toThrow()
  })

  it('gets its own table in the Markdown report: baseline, now, change, interval, Mann-Whitney p, model', () => {
    const md = renderReport(compared(), 'md')
    expect(md).toContain(
      '| Change vs baseline | Baseline | Now | Change | 95% interval | Mann-Whitney p | Model | Status |',
    )
    const row = md
      .split('\n')
      .find((line) => line.startsWith('| p95(allocation\\_latency) | main (run phase-2-20261101T120000Z)'))
    expect(row).toBe(
      '| p95(allocation\\_latency) | main (run phase-2-20261101T120000Z) | 41.2 ms vs 36.7 ms | +12.3% | \\[+8.1%, ' +
        '+16.0%\\] | &lt; 0.001 | bootstrap | ✅ PASS |',
    )
    expect(raggedTables(md)).toEqual([])
  })

  it('shows one line per compared target in the terminal and in the PR comment, and none without a baseline', () => {
    expect(renderReport(compared(), 'terminal')).toContain(
      'p95(allocation_latency) +12.3% [+8.1%, +16.0%] vs baseline main (36.7 ms)',
    )
    expect(renderComment(compared())).toContain('**Change vs baseline**')
    expect(renderComment(compared())).toContain(
      'p95(allocation\\_latency) +12.3% \\[+8.1%, +16.0%\\] vs baseline main (36.7 ms)',
    )
    const plain = loadFixture('proceed')
    expect(renderReport(plain, 'terminal')).not.toContain('CHANGE VS BASELINE')
    expect(renderComment(plain)).not.toContain('Change vs baseline')
  })

  it('prints a relative threshold with no baseline as written', () => {
    const results = copy(loadFixture('proceed'))
    Object.assign(results.targets[0]!.expectations[0]!, {
      expression: 'p95(allocation_latency) <= baseline * 1.10',
      operator: '<=',
      p: null,
      status: 'NO_DATA',
      threshold: null,
      value: null,
    })
    expect(renderReport(results, 'md')).toContain('| &lt;= baseline \\* 1.10 |')
  })
})
