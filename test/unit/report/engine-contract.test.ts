import {describe, expect, it} from 'vitest'

import {evaluateGate, type TargetInput} from '../../../src/engine/index.js'
import {renderReport, REPORT_FORMATS} from '../../../src/report/index.js'
import {RESULTS_SCHEMA_ID, type RunResults} from '../../../src/results/types.js'
import {validateResults} from '../../../src/results/validate.js'
import {parseXml, raggedTables} from './helpers.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

const settings = {confidence: 0.95, minConsensus: 0.85, resamples: 400, seed: 7}
const target = (
  id: string,
  expectations: string[],
  collected: TargetInput['collected'],
  required = true,
): TargetInput => ({
  collected,
  expectations: expectations.map((text) => parseExpectation(text)),
  id,
  level: required ? 'error' : 'warn',
  required,
  title: `Target ${id}`,
  validator: 'test',
  weight: 1,
})

/** What `gate check` saves, built around a real engine evaluation. */
function run(targets: TargetInput[]): RunResults {
  const evaluation = evaluateGate(settings, targets)
  const results: RunResults = {
    $schema: RESULTS_SCHEMA_ID,
    version: 1,
    id: 'contract-20251009T000000Z',
    tool: {name: 'phasegate', version: '0.0.0'},
    gate: {file: 'gates/contract.yaml', name: 'contract', sha256: '0'.repeat(64), title: 'Contract'},
    startedAt: '2025-10-09T00:00:00.000Z',
    finishedAt: '2025-10-09T00:00:01.000Z',
    durationMs: 1000,
    environment: {
      arch: 'x64',
      ci: true,
      cpu: {count: 2, model: 'test'},
      git: null,
      memoryBytes: 1024,
      node: 'v20.0.0',
      platform: 'linux',
    },
    settings,
    ...evaluation,
    interrupted: false,
    warnings: [],
  }
  // Through JSON, as a saved run is read back.
  return JSON.parse(JSON.stringify(results)) as RunResults
}

describe('what the engine produces', () => {
  const samples = Array.from({length: 300}, (_, i) => 20 + ((i * 37) % 50))
  const results = run([
    target('latency', ['p95(latency) < 100ms', 'count(latency) >= 100'], {
      evidence: {
        durationMs: 5000,
        kind: 'measured',
        metrics: {latency: {dimension: 'duration', samples, type: 'samples'}},
        source: 'live',
      },
    }),
    target(
      'hits',
      ['hit_rate >= 90%'],
      {
        evidence: {
          kind: 'artifact',
          metrics: {hit_rate: {events: 905, trials: 1000, type: 'proportion'}},
          source: 'prometheus',
        },
      },
      false,
    ),
    target(
      'claimed',
      ['refresh < 1s'],
      {
        evidence: {
          kind: 'claim',
          metrics: {refresh: {dimension: 'duration', type: 'value', value: 850}},
          source: 'a report',
        },
      },
      false,
    ),
    target('missing', ['p95(x) < 1s'], {noData: 'validator test threw: boom'}),
  ])

  it('is a valid results file', () => {
    expect(() => validateResults(results)).not.toThrow()
  })

  it('renders in every format', () => {
    for (const format of REPORT_FORMATS) expect(renderReport(results, format)).toContain('decided by rule 1')
    expect(raggedTables(renderReport(results, 'md'))).toEqual([])
    expect(() => parseXml(renderReport(results, 'junit'))).not.toThrow()
  })
})
