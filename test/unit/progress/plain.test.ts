import {describe, expect, it} from 'vitest'

import type {TargetConfig} from '../../../src/config/types.js'
import {plainProgress} from '../../../src/progress/plain.js'

const target = (id: string, validator: string): TargetConfig => ({
  allowRemote: false,
  expect: [],
  id,
  index: 0,
  level: 'error',
  required: false,
  timeoutMs: 60_000,
  title: id,
  validator,
  weight: 1,
  with: {},
})

describe('plain progress lines', () => {
  it("writes one line per target start and end, the validator's logs, and nothing for progress updates", () => {
    const lines: string[] = []
    const events = plainProgress((line) => lines.push(line))
    const api = target('api', 'http')
    const cache = target('cache', 'cache')
    events.targetStarted(api, 0, 2)
    events.targetProgress?.(api, {completed: 100, errors: 0, fraction: 0.5, message: '100 requests, 0 errors'}, 1000)
    events.log('[api] warming up')
    events.targetFinished(api, {evidence: {kind: 'measured', metrics: {}, source: 'http: GET /'}}, 2040)
    events.targetStarted(cache, 1, 2)
    events.targetFinished(cache, {noData: 'validator cache failed: connect ECONNREFUSED 127.0.0.1:6379'}, 12)
    expect(lines).toEqual([
      '▶ [1/2] api (http)',
      '  [api] warming up',
      '✔ [1/2] api (http): collected in 2.04 s (measured)',
      '▶ [2/2] cache (cache)',
      '✖ [2/2] cache (cache): no data after 12 ms: validator cache failed: connect ECONNREFUSED 127.0.0.1:6379',
    ])
    expect(lines.join('\n')).not.toMatch(/\u001B/)
  })
})
