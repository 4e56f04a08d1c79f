import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {RESULTS_SCHEMA_ID} from '../../../src/results/types.js'
import {RESULTS_SCHEMA_FILE} from '../../../src/results/validate.js'
import {copy, FIXTURES, loadFixture, scoringProblems} from './helpers.js'

describe('results fixtures', () => {
  it('are the runs the reports are tested on', () => {
    expect(FIXTURES).toEqual(
      expect.arrayContaining(['block-required-fail', 'claim-only', 'hostile', 'inconclusive', 'no-data', 'proceed']),
    )
  })

  it('the schema is the public contract named by RESULTS_SCHEMA_ID', () => {
    const schema = JSON.parse(readFileSync(RESULTS_SCHEMA_FILE, 'utf8')) as {$id: string}
    expect(schema.$id).toBe(RESULTS_SCHEMA_ID)
  })

  describe.each(FIXTURES)('%s', (name) => {
    it('validates against the results schema', () => {
      expect(() => loadFixture(name)).not.toThrow()
    })

    it('follows the scoring rules (c, status, consensus, decision)', () => {
      expect(scoringProblems(loadFixture(name))).toEqual([])
    })
  })

  it('each fixture decides the way its name says', () => {
    const decided = (name: string) => [loadFixture(name).decision.outcome, loadFixture(name).decision.rule]
    expect(decided('proceed')).toEqual(['PROCEED', 4])
    expect(decided('block-required-fail')).toEqual(['BLOCK', 1])
    expect(decided('inconclusive')).toEqual(['INCONCLUSIVE', 2])
    expect(decided('no-data')).toEqual(['BLOCK', 1])
    expect(decided('claim-only')).toEqual(['INCONCLUSIVE', 2])
    expect(decided('hostile')).toEqual(['BLOCK', 1])
  })

  it('proceed lists its warn-level INCONCLUSIVE target as an improvement', () => {
    const results = loadFixture('proceed')
    const undecided = results.targets.filter((t) => t.status === 'INCONCLUSIVE')
    expect(undecided.map((t) => [t.level, t.required])).toEqual([['warn', false]])
    expect(results.decision.improvements).toEqual(undecided.map((t) => t.id))
  })

  it('no-data has a required NO_DATA target with the validator error as its reason', () => {
    const target = loadFixture('no-data').targets.find((t) => t.required && t.status === 'NO_DATA')
    expect(target?.reason).toMatch(/ECONNREFUSED/)
  })

  it('claim-only rests a required target on a claim that cannot pass', () => {
    const target = loadFixture('claim-only').targets.find((t) => t.evidence?.kind === 'claim')
    expect(target).toMatchObject({required: true, status: 'INCONCLUSIVE'})
    expect(target!.confidence).toBeLessThanOrEqual(0.65)
  })

  it('the rule check catches a fixture that breaks the rules', () => {
    const results = copy(loadFixture('claim-only'))
    const claim = results.targets.find((t) => t.evidence?.kind === 'claim')!
    claim.status = 'PASS'
    claim.confidence = 0.96
    expect(scoringProblems(results)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/confidence 0.96, expected 0.65/),
        expect.stringMatching(/a claim above 0.65 or PASS/),
        expect.stringMatching(/^consensus/),
      ]),
    )
  })
})
