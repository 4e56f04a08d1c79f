import {describe, expect, it} from 'vitest'

import {dimensionsCompatible, formatValue, parseDuration, parseQuantity} from '../../../src/engine/units.js'

describe('parseQuantity', () => {
  it.each([
    ['100ms', 100, 'duration'],
    ['1.5s', 1500, 'duration'],
    ['250 us', 0.25, 'duration'],
    ['250µs', 0.25, 'duration'],
    ['3ns', 3e-6, 'duration'],
    ['2m', 120_000, 'duration'],
    ['1h', 3_600_000, 'duration'],
    ['512MiB', 512 * 1024 * 1024, 'size'],
    ['2KB', 2000, 'size'],
    ['90%', 0.9, 'proportion'],
    ['40x', 40, 'ratio'],
    ['200/s', 200, 'rate'],
    ['42', 42, null],
    ['-3e2', -300, null],
  ] as const)('%s → %s (%s)', (text, value, dimension) => {
    const quantity = parseQuantity(text)
    expect(quantity?.dimension).toBe(dimension)
    expect(quantity?.value).toBeCloseTo(value, 9)
  })

  it.each(['100msec', 'fast', '', '1.2.3ms', '10 KBs'])('rejects %j', (text) => {
    expect(parseQuantity(text)).toBeNull()
  })
})

describe('dimensionsCompatible', () => {
  it.each([
    ['duration', 'duration', true],
    ['duration', 'size', false],
    ['duration', null, false],
    ['size', null, false],
    ['count', null, true],
    ['proportion', null, true],
    ['ratio', 'proportion', true],
    ['proportion', 'ratio', true],
    ['rate', 'rate', true],
    ['count', 'duration', false],
  ] as const)('%s vs %s → %s', (metric, threshold, expected) => {
    expect(dimensionsCompatible(metric, threshold)).toBe(expected)
  })
})

describe('parseDuration and formatValue', () => {
  it('reads durations and rejects everything else', () => {
    expect([parseDuration('20s'), parseDuration(500), parseDuration('5MB'), parseDuration(-1)]).toEqual([
      20_000,
      500,
      null,
      null,
    ])
  })

  it.each([
    [41.25, 'duration', '41.3 ms'],
    [1500, 'duration', '1.5 s'],
    [0.25, 'duration', '250 µs'],
    [0.923, 'proportion', '92.3%'],
    [1024 * 1024 * 12.5, 'size', '12.5 MiB'],
    [1234, 'rate', '1,234/s'],
  ] as const)('formats %s %s as %s', (value, dimension, text) => {
    expect(formatValue(value, dimension)).toBe(text)
  })
})
