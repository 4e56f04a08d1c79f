import {describe, expect, it} from 'vitest'

import {load, problems, yaml} from './helpers.js'

const NARRATIVE = yaml`
  version: 1
  next_phase:
    - Failover measured with 100 swarms on the staging cluster
    - "Dashboard p95 < 500 ms, \${not.expanded}"
  targets:
    - id: api
      validator: claim
      with: { metric: latency, value: 80ms, source: vendor }
      expect: [ latency < 100ms ]
      owner: "@platform-team"
      notes: "Measured on <b>one</b> node | see #12"
      recommendation: Measure it live before the next gate
      risk: { likelihood: medium, impact: high, mitigation: Keep the previous release deployable }
    - id: bare
      validator: claim
      with: { metric: latency, value: 80ms, source: vendor }
      expect: [ latency < 100ms ]
`

describe('narrative keys in a gate file', () => {
  it('keeps owner, notes, recommendation, risk and next_phase as written, without expanding ${...}', () => {
    const gate = load(NARRATIVE)
    expect(gate.nextPhase).toEqual([
      'Failover measured with 100 swarms on the staging cluster',
      'Dashboard p95 < 500 ms, ${not.expanded}',
    ])
    expect(gate.targets[0]!.narrative).toEqual({
      notes: 'Measured on <b>one</b> node | see #12',
      owner: '@platform-team',
      recommendation: 'Measure it live before the next gate',
      risk: {impact: 'high', likelihood: 'medium', mitigation: 'Keep the previous release deployable'},
    })
    // A target that says nothing has no narrative at all, so its results carry none.
    expect(gate.targets[1]).not.toHaveProperty('narrative')
  })

  it('a gate without next_phase has no conditions', () => {
    expect(load(NARRATIVE.replace(/next_phase:[\s\S]*?targets:/, 'targets:')).nextPhase).toEqual([])
  })

  it('rejects a bad risk, an empty owner and a misspelt key with line, column and a hint', () => {
    const found = problems(
      NARRATIVE.replace('likelihood: medium', 'likelihood: sometimes')
        .replace('owner: "@platform-team"', 'owner: ""')
        .replace('recommendation:', 'recomendation:'),
    )
    expect(found.join('\n')).toMatch(/likelihood.*low.*medium.*high/)
    expect(found.join('\n')).toMatch(/owner/)
    expect(found.join('\n')).toMatch(/did you mean "recommendation"/)
    expect(found.every((issue) => /^\d+:\d+ /.test(issue))).toBe(true)
  })

  it('rejects a risk without a mitigation and next_phase that is not a list', () => {
    const found = problems(
      NARRATIVE.replace(', mitigation: Keep the previous release deployable', '').replace(
        /next_phase:[\s\S]*?targets:/,
        'next_phase: ship it\ntargets:',
      ),
    )
    expect(found.join('\n')).toMatch(/mitigation/)
    expect(found.join('\n')).toMatch(/next_phase/)
  })
})
