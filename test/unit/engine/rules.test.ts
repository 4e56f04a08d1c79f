import {describe, expect, it} from 'vitest'

import {confidenceOf, qualityOf, resamplesOf, statusOf} from '../../../src/engine/rules.js'

describe('status from P and kind (scoring.md v2 §3)', () => {
  it.each([
    [1, 'measured', 0.95, 'PASS'],
    [0.95, 'measured', 0.95, 'PASS'],
    [0.9499, 'measured', 0.95, 'INCONCLUSIVE'],
    [0.05, 'measured', 0.95, 'FAIL'],
    [0.0501, 'measured', 0.95, 'INCONCLUSIVE'],
    [0, 'measured', 0.95, 'FAIL'],
    // Quality no longer holds an artifact back: P = 0.97 PASSes, where c = 0.5 + 0.9·0.47 = 0.923 did not.
    [0.97, 'artifact', 0.95, 'PASS'],
    [0.03, 'artifact', 0.95, 'FAIL'],
    [0.5, 'artifact', 0.95, 'INCONCLUSIVE'],
    // A claim is never decided, whatever it says.
    [1, 'claim', 0.95, 'INCONCLUSIVE'],
    [0, 'claim', 0.95, 'INCONCLUSIVE'],
    // On the line in decimal, a hair off it in floating point: the tolerance decides.
    [0.1 + 0.2 + 0.6, 'measured', 0.9, 'PASS'],
  ] as const)('P %s of %s evidence against %s is %s', (p, kind, required, status) => {
    expect(statusOf(p, kind, required)).toBe(status)
  })

  it('quality moves the consensus weight c, never the status', () => {
    expect(confidenceOf(1, qualityOf('artifact', undefined))).toBeCloseTo(0.95, 12)
    expect(statusOf(1, 'artifact', 0.99)).toBe('PASS')
  })

  it('a claim tops out at 0.65', () => {
    expect(confidenceOf(1, qualityOf('claim', undefined))).toBeCloseTo(0.65, 12)
  })

  it('quality can be lowered but not raised or made negative', () => {
    expect([
      qualityOf('measured', 0.4),
      qualityOf('artifact', 1),
      qualityOf('claim', 0.9),
      qualityOf('claim', -1),
    ]).toEqual([0.4, 0.9, 0.3, 0])
  })

  it('resamples default to 2000 and are whole', () => {
    expect([resamplesOf(undefined), resamplesOf(0), resamplesOf(500.7)]).toEqual([2000, 2000, 500])
  })
})
