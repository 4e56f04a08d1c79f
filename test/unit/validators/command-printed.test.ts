import {describe, expect, it} from 'vitest'

import {command} from '../../../src/validators/command.js'
import {metricSpecs, resolveOptions} from '../../../src/validators/options.js'
import {measure, samplesOf, valueOf} from '../../helpers/evidence.js'

const NODE = JSON.stringify(process.execPath)
/** A run that prints step timings as a workflow script would, among other output. */
const STEPS = `${NODE} -e "${[
  "for (const ms of [12.5, 13, 11.25]) console.log('step create ' + ms + 'ms')",
  "console.log('step submit 2')",
  "console.log('speedup 2.4')",
  "console.log('done')",
].join('; ')}"`
const PRINTED = {
  create_time: {line: '^step create (?<value>\\S+)$', unit: 'ms'},
  speedup: {line: '^speedup (?<value>\\S+)$', unit: 'x'},
  submit_time: {line: '^step submit (?<value>\\S+)$', unit: 's'},
  teardown_time: {line: '^step teardown (?<value>\\S+)$', unit: 'ms'},
}

/** The specs `gate validate` checks a target's expectations against, or the problem it reports. */
function specsOf(printed: unknown): Array<{name: string; dimension: string}> | string {
  const resolved = resolveOptions(command, {printed, run: 'x'})
  if (resolved.problems.length > 0) return resolved.problems.map(({message}) => message).join('; ')
  try {
    return metricSpecs(command, resolved.options).map(({dimension, name}) => ({dimension, name}))
  } catch (error) {
    return (error as Error).message
  }
}

describe('command: numbers a run prints (printed)', () => {
  it('declares each printed metric with its unit’s dimension, so expectations on it are checked before a run', () => {
    const specs = specsOf(PRINTED) as Array<{name: string; dimension: string}>
    expect(specs.slice(-4)).toEqual([
      {dimension: 'duration', name: 'create_time'},
      {dimension: 'ratio', name: 'speedup'},
      {dimension: 'duration', name: 'submit_time'},
      {dimension: 'duration', name: 'teardown_time'},
    ])
    expect(specsOf({steps: {line: '^(?<value>\\d+)$'}})).toContainEqual({dimension: 'count', name: 'steps'})
  })

  it.each([
    [{x: {line: '^step (\\d+)$'}}, 'printed.x.line needs a group named value: (?<value>...)'],
    [{x: {line: '(?<value>'}}, 'printed.x.line is not a regular expression'],
    [{duration: {line: '(?<value>.*)'}}, 'printed metric "duration" has the name of one the command validator reports'],
    [{'bad name': {line: '(?<value>.*)'}}, 'property name must be valid'],
    [{x: {line: '(?<value>.*)', unit: 'parsecs'}}, 'must be one of'],
  ])('refuses %j before anything runs', (printed, message) => {
    expect(specsOf(printed)).toContain(message)
  })

  it('reads one sample per matching line of each successful run, in the metric’s unit', async () => {
    const evidence = await measure(command, {printed: PRINTED, run: STEPS, runs: 2, warmup: 1})
    expect(samplesOf(evidence.metrics.create_time)).toEqual([12.5, 13, 11.25, 12.5, 13, 11.25])
    expect(samplesOf(evidence.metrics.speedup)).toEqual([2.4, 2.4])
    // A bare number is in the unit given: 2 s.
    expect(samplesOf(evidence.metrics.submit_time)).toEqual([2000, 2000])
    expect(valueOf(evidence.metrics.failures)).toBe(0)
    expect(evidence.metrics.teardown_time).toBeUndefined()
    expect(evidence.notes).toContain(
      'teardown_time: no line of the 2 successful runs matched its pattern with a number',
    )
  })

  it('leaves out what a failed run printed: its numbers are not evidence of a finished workflow', async () => {
    const run = `${NODE} -e "console.log('step create 5ms'); process.exit(process.env.N === '1' ? 1 : 0)"`
    const evidence = await measure(command, {env: {N: '1'}, printed: PRINTED, run, runs: 1, warmup: 0})
    expect(valueOf(evidence.metrics.failures)).toBe(1)
    expect(evidence.metrics.create_time).toBeUndefined()
  })
})
