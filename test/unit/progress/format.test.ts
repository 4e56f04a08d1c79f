import {describe, expect, it} from 'vitest'

import type {TargetConfig} from '../../../src/config/types.js'
import {clock, finishedText, formatRate, RunningTarget, runningText, targetLabel} from '../../../src/progress/format.js'
import {isCI, progressMode} from '../../../src/progress/index.js'

const target = (over: Partial<TargetConfig> = {}): TargetConfig => ({
  allowRemote: false,
  expect: [],
  id: 'api-latency',
  index: 0,
  level: 'error',
  required: false,
  timeoutMs: 120_000,
  title: 'API latency',
  validator: 'http',
  weight: 1,
  with: {},
  ...over,
})

describe('the title of a running target', () => {
  it('says where in the run it is and what measures it', () => {
    expect(targetLabel(target(), 1, 5)).toBe('[2/5] api-latency (http)')
  })

  it('shows elapsed vs planned time, the live rate and the errors', () => {
    expect(runningText({elapsedMs: 4100, errors: 0, plannedMs: 10_000, rate: 1234.4, timeoutMs: 120_000})).toBe(
      'running 4.1 s of 10.0 s · 1,234 req/s · 0 errors',
    )
    expect(runningText({elapsedMs: 4100, errors: 1, plannedMs: 10_000, rate: 12.34, timeoutMs: 120_000})).toBe(
      'running 4.1 s of 10.0 s · 12.3 req/s · 1 error',
    )
  })

  it(
    'falls back to the timeout when nothing tells the planned time, and to the message when there are no ' + 'counts',
    () => {
      expect(runningText({elapsedMs: 800, timeoutMs: 120_000})).toBe('running 0.8 s, timeout 2 min')
      expect(
        runningText({elapsedMs: 800, message: '3 held, 10 allocations, 0 failed', plannedMs: 2000, timeoutMs: 120_000}),
      ).toBe('running 0.8 s of 2.0 s · 3 held, 10 allocations, 0 failed')
      // Counts say it better than the message that repeats them.
      expect(runningText({elapsedMs: 800, errors: 2, message: '100 requests, 2 errors', timeoutMs: 5000})).toBe(
        'running 0.8 s, timeout 5 s · 2 errors',
      )
    },
  )

  it('reads clocks and rates the way people write them', () => {
    expect([clock(0), clock(4149), clock(59_949), clock(125_000), clock(3_600_000)]).toEqual([
      '0.0 s',
      '4.1 s',
      '59.9 s',
      '2 min 05 s',
      '60 min 00 s',
    ])
    expect([formatRate(0), formatRate(0.84), formatRate(99.96), formatRate(16_427.4)]).toEqual([
      '0',
      '0.8',
      '100',
      '16,427',
    ])
  })
})

describe('RunningTarget', () => {
  it('estimates the planned time from the fraction at each update and keeps it between updates', () => {
    const running = new RunningTarget(target({validator: 'fleet'}), '[1/1] api-latency (fleet)')
    expect(running.title(300)).toBe('[1/1] api-latency (fleet) · running 0.3 s, timeout 2 min')
    running.observe({fraction: 0.25, message: 'fault 1 of 4'}, 1000)
    expect(running.title(1600)).toBe('[1/1] api-latency (fleet) · running 1.6 s of 4.0 s · fault 1 of 4')
  })

  it('derives the live rate from how completed grew since the last update, not since the start', () => {
    const running = new RunningTarget(target(), 'hello')
    running.observe({completed: 1000, errors: 0, fraction: 0.1}, 1000)
    expect(running.title(1000)).toBe('hello · running 1.0 s of 10.0 s · 1,000 req/s · 0 errors')
    running.observe({completed: 1500, errors: 3, fraction: 0.2}, 2000)
    expect(running.title(2000)).toBe('hello · running 2.0 s of 10.0 s · 500 req/s · 3 errors')
  })

  it('takes the rate a validator measures itself over the one derived from completed', () => {
    const running = new RunningTarget(target(), 'hello')
    running.observe({completed: 1000, rate: 42}, 1000)
    expect(running.title(1000)).toContain('· 42 req/s')
  })

  it('ignores a fraction too small to estimate from', () => {
    const running = new RunningTarget(target(), 'hello')
    running.observe({fraction: 0.001}, 50)
    expect(running.title(50)).toBe('hello · running 0.1 s, timeout 2 min')
  })
})

describe('how a target ended', () => {
  it('names the outcome, the time it took, and the kind of evidence or the reason for none', () => {
    expect(finishedText({evidence: {kind: 'measured', metrics: {}, source: 'x'}}, 10_000)).toBe(
      'collected in 10 s (measured)',
    )
    expect(finishedText({noData: 'timed out after 1 s'}, 1000)).toBe('no data after 1 s: timed out after 1 s')
  })
})

describe('progressMode', () => {
  const tty = {columns: 120, isTTY: true}
  it('animates only at a terminal with a width, outside CI, not dumb, without --json', () => {
    expect(progressMode('auto', {env: {TERM: 'xterm'}, json: false, stderr: tty})).toBe('terminal')
    expect(progressMode('auto', {env: {CI: 'true', TERM: 'xterm'}, json: false, stderr: tty})).toBe('plain')
    expect(progressMode('auto', {env: {TERM: 'dumb'}, json: false, stderr: tty})).toBe('plain')
    expect(progressMode('auto', {env: {}, json: true, stderr: tty})).toBe('plain')
    expect(progressMode('auto', {env: {}, json: false, stderr: {isTTY: false}})).toBe('plain')
    expect(progressMode('auto', {env: {}, json: false, stderr: {columns: 0, isTTY: true}})).toBe('plain')
  })

  it('does what --progress plain and none ask, even at a terminal', () => {
    expect(progressMode('plain', {env: {}, json: false, stderr: tty})).toBe('plain')
    expect(progressMode('none', {env: {CI: 'true'}, json: true, stderr: tty})).toBe('none')
  })

  it('reads CI the way CI services set it', () => {
    expect(['true', '1', 'True', 'yes'].map((CI) => isCI({CI}))).toEqual([true, true, true, true])
    expect(['', 'false', '0', undefined].map((CI) => isCI({CI}))).toEqual([false, false, false, false])
  })
})
