import {describe, expect, it} from 'vitest'

import type {Status} from '../../../src/engine/types.js'

import {consensusOf, decide} from '../../../src/engine/decision.js'

type Row = [id: string, required: boolean, status: Status]
const targets = (rows: Row[]) => rows.map(([id, required, status]) => ({id, required, status}))

describe('decide', () => {
  it.each<[string, Row[], number, string, number, string, string[], string[]]>([
    [
      'a required FAIL blocks',
      [
        ['fleet-allocation', true, 'FAIL'],
        ['api', true, 'PASS'],
      ],
      0.9,
      'BLOCK',
      1,
      'decided by rule 1: required target "fleet-allocation" is FAIL',
      ['fleet-allocation'],
      [],
    ],
    [
      'a required NO_DATA blocks, before any INCONCLUSIVE',
      [
        ['db', true, 'INCONCLUSIVE'],
        ['cache', true, 'NO_DATA'],
      ],
      0.99,
      'BLOCK',
      1,
      'decided by rule 1: required target "cache" is NO_DATA',
      ['cache'],
      [],
    ],
    [
      'several blocking targets are all named',
      [
        ['a', true, 'FAIL'],
        ['b', true, 'NO_DATA'],
        ['c', true, 'FAIL'],
      ],
      0.5,
      'BLOCK',
      1,
      'decided by rule 1: required targets "a" (FAIL), "b" (NO_DATA) and "c" (FAIL) are not passing',
      ['a', 'b', 'c'],
      [],
    ],
    [
      'a required INCONCLUSIVE is INCONCLUSIVE even with high consensus',
      [
        ['db', true, 'INCONCLUSIVE'],
        ['w', false, 'FAIL'],
      ],
      0.99,
      'INCONCLUSIVE',
      2,
      'decided by rule 2: required target "db" is INCONCLUSIVE; measure more',
      ['db'],
      ['w'],
    ],
    [
      'low consensus blocks',
      [
        ['api', true, 'PASS'],
        ['w', false, 'FAIL'],
      ],
      0.812,
      'BLOCK',
      3,
      'decided by rule 3: consensus 0.812 is below the minimum 0.850',
      [],
      ['w'],
    ],
    [
      'everything else proceeds and lists improvements',
      [
        ['api', true, 'PASS'],
        ['w', false, 'INCONCLUSIVE'],
        ['x', false, 'NO_DATA'],
        ['y', false, 'PASS'],
      ],
      0.934,
      'PROCEED',
      4,
      'decided by rule 4: every required target passed and consensus 0.934 ≥ 0.850',
      [],
      ['w', 'x'],
    ],
    [
      'no required target at all',
      [['w', false, 'PASS']],
      0.9,
      'PROCEED',
      4,
      'decided by rule 4: no target is required and consensus 0.900 ≥ 0.850',
      [],
      [],
    ],
    [
      'consensus just under the minimum shows enough digits to see it',
      [['api', true, 'PASS']],
      0.8496,
      'BLOCK',
      3,
      'decided by rule 3: consensus 0.8496 is below the minimum 0.8500',
      [],
      [],
    ],
  ])('%s', (_, rows, consensus, outcome, rule, reason, deciding, improvements) => {
    const decision = decide(targets(rows), consensus, {minConsensus: 0.85})
    expect(decision).toMatchObject({consensus, deciding, improvements, minConsensus: 0.85, outcome, reason, rule})
    // The first rule that does not hold is the one that decided; rule 4 holds only when all before it did.
    expect(decision.rules?.map((check) => check.rule)).toEqual([1, 2, 3, 4])
    expect(decision.rules?.find((check) => !check.holds)?.rule ?? 4).toBe(rule)
  })

  it('returns every rule with its numbers', () => {
    const {rules} = decide(
      targets([
        ['a', true, 'FAIL'],
        ['b', true, 'INCONCLUSIVE'],
        ['w', false, 'NO_DATA'],
      ]),
      0.6,
      {minConsensus: 0.85},
    )
    expect(rules).toEqual([
      {
        condition: 'No required target is FAIL or NO_DATA (else BLOCK)',
        detail: '2 required targets; FAIL: a; NO_DATA: none',
        holds: false,
        rule: 1,
        targets: ['a'],
      },
      {
        condition: 'No required target is INCONCLUSIVE (else INCONCLUSIVE)',
        detail: 'INCONCLUSIVE: b',
        holds: false,
        rule: 2,
        targets: ['b'],
      },
      {
        condition: 'Consensus reaches min_consensus (else BLOCK)',
        detail: 'consensus 0.600 < 0.850',
        holds: false,
        rule: 3,
        targets: [],
      },
      {
        condition: 'Otherwise PROCEED',
        detail: '1 improvement listed for the next gate',
        holds: false,
        rule: 4,
        targets: [],
      },
    ])
  })

  it('a consensus of 0.7999999999999999 reaches a minimum of 0.8 in every rule it touches', () => {
    // 0.95, 0.95 (required) and 0.5 with equal weights: the float mean falls a hair under 0.8.
    const consensus = consensusOf([
      {confidence: 0.95, weight: 1},
      {confidence: 0.95, weight: 1},
      {confidence: 0.5, weight: 1},
    ])
    expect(consensus).toBe(0.7999999999999999)
    const decision = decide(targets([['a', true, 'PASS']]), consensus, {minConsensus: 0.8})
    expect(decision).toMatchObject({outcome: 'PROCEED', rule: 4})
    expect(decision.rules?.[2]).toMatchObject({holds: true, rule: 3})
  })

  it('consensus equal to the minimum proceeds', () => {
    expect(decide(targets([['api', true, 'PASS']]), 0.5 + 0.35, {minConsensus: 0.85}).outcome).toBe('PROCEED')
  })
})

describe('consensusOf', () => {
  it('is the weighted mean of confidences', () => {
    expect(
      consensusOf([
        {confidence: 1, weight: 3},
        {confidence: 0.5, weight: 1},
        {confidence: 0, weight: 0},
      ]),
    ).toBeCloseTo(0.875, 12)
  })

  it('is 0 when no target carries weight', () => {
    expect(consensusOf([{confidence: 1, weight: 0}])).toBe(0)
    expect(consensusOf([])).toBe(0)
  })
})
