import {describe, expect, it} from 'vitest'

import {UserError} from '../../../src/errors.js'
import {parseResults, ResultsFileError, validateResults} from '../../../src/results/validate.js'
import {copy, fixtureText, loadFixture} from './helpers.js'

/** The message validateResults gives for a copy of proceed.json changed by `corrupt`. */
function rejection(corrupt: (data: any) => void): string {
  const data = copy(loadFixture('proceed')) as any
  corrupt(data)
  try {
    validateResults(data, 'run.json')
  } catch (error) {
    expect(error).toBeInstanceOf(ResultsFileError)
    expect(error).toBeInstanceOf(UserError)
    return (error as Error).message
  }
  throw new Error('validateResults accepted a corrupted file')
}

describe('validateResults', () => {
  it('returns the results unchanged when they are valid', () => {
    const data = JSON.parse(fixtureText('proceed')) as unknown
    expect(validateResults(data)).toBe(data)
  })

  it('names the file and the first bad path', () => {
    expect(rejection((d) => (d.targets[2].status = 'MAYBE'))).toMatch(
      /^run\.json: .*targets\[2\]\.status: must be one of "PASS", "FAIL", "INCONCLUSIVE", "NO_DATA", got "MAYBE"/,
    )
  })

  it.each([
    ['a missing field', (d: any) => delete d.targets[1].expectations[0].p, 'targets[1].expectations[0].p: is missing'],
    ['an unknown field', (d: any) => (d.decision.extra = 1), 'decision.extra: is not a known property'],
    ['a wrong type', (d: any) => (d.consensus = '0.9'), 'consensus: must be number, got "0.9"'],
    ['a P above 1', (d: any) => (d.targets[0].p = 1.5), 'targets[0].p: must be <= 1, got 1.5'],
    [
      'an interval of three numbers',
      (d: any) => d.targets[0].expectations[0].interval95.push(1),
      'targets[0].expectations[0].interval95: must NOT have more than 2 items',
    ],
    ['a future version', (d: any) => (d.version = 2), 'version: must be 1, got 2'],
    [
      'an evidence kind nobody knows',
      (d: any) => (d.targets[3].evidence.kind = 'vibes'),
      'targets[3].evidence.kind: must be one of',
    ],
    ['a bad timestamp', (d: any) => (d.startedAt = 'yesterday'), 'startedAt: must match pattern'],
    [
      'a consensus the decision disagrees with',
      (d: any) => (d.decision.consensus = 0.5),
      'decision.consensus: is 0.5 but consensus is',
    ],
    [
      'a deciding id that is not a target',
      (d: any) => d.decision.improvements.push('ghost'),
      'decision.improvements[1]: "ghost" is not a target id',
    ],
    [
      'two targets with one id',
      (d: any) => (d.targets[1].id = d.targets[0].id),
      'targets[1].id: duplicate target id "fleet-allocation"',
    ],
  ])('rejects %s', (_, corrupt, expected) => {
    expect(rejection(corrupt)).toContain(expected)
  })

  it('rejects something that is not an object at all', () => {
    expect(() => validateResults([])).toThrow(/\(root\): must be object, got an array of 0/)
  })

  it('rejects a truncated file with a clear message instead of a stack of parser internals', () => {
    const text = fixtureText('proceed')
    expect(() => parseResults(text.slice(0, text.length / 2), '.gate/runs/x.json')).toThrow(
      /^\.gate\/runs\/x\.json: not a valid phasegate results file .*: \(root\): not JSON/,
    )
  })
})
