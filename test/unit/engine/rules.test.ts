import {describe, expect, it} from 'vitest'

import {confidenceOf, qualityOf, resamplesOf, statusOf} from '../../../src/engine/rules.js'

describe('confidence and status (scoring.md §3)', () => {
  it.each([
    // Exactly on the line in decimal arithmetic, a hair off it in floating point: the tolerance decides.
    [1, 0.82, 0.91, 'PASS'],
    [1, 0.36, 0.68, 'PASS'],
    [1, 0.9, 0.95, 'PASS'],
    [0, 0.1, 0.55, 'FAIL'],
    [0, 0.57, 0.785, 'FAIL'],
    [0, 0.9, 0.95, 'FAIL'],
    [0.99, 0.9, 0.95, 'INCONCLUSIVE'],
    [0.5, 1, 0.95, 'INCONCLUSIVE'],
    [1, 0.3, 0.95, 'INCONCLUSIVE'],
    [0.96, 1, 0.95, 'PASS'],
    [0.04, 1, 0.95, 'FAIL'],
  ] as const)('P %s at quality %s against %s is %s', (p, quality, required, status) => {
    expect(statusOf(confidenceOf(p, quality), required)).toBe(status)
  })

  it('a claim tops out at 0.65', () => {
    expect(confidenceOf(1, qualityOf('claim', undefined))).toBeCloseTo(0.65, 12)
  })

  it('quality can be lowered but not raised or made negative', () => {
    expect([qualityOf('measured', 0.4), qualityOf('artifact', 1), qualityOf('claim', 0.9), qualityOf('claim', -1)]).toEqual([0.4, 0.9, 0.3, 0])
  })

  it('resamples default to 2000 and are whole', () => {
    expect([resamplesOf(undefined), resamplesOf(0), resamplesOf(500.7)]).toEqual([2000, 2000, 500])
  })
})
