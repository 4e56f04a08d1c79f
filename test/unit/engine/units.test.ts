import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {dimensionsCompatible, formatValue, grouped, parseDuration, parseQuantity} from '../../../src/engine/units.js'

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

describe('grouped', () => {
  it('writes what toLocaleString("en-US") writes, for values already rounded to the digits asked', () => {
    const value = fc.oneof(
      fc.double({max: 1e15, min: -1e15, noNaN: true}),
      fc.integer(),
      fc.constantFrom(0, -0, 999.9995),
    )
    fc.assert(
      fc.property(value, fc.integer({max: 3, min: 0}), (raw, digits) => {
        const x = Number(raw.toFixed(digits))
        expect(grouped(x, digits)).toBe(x.toLocaleString('en-US', {maximumFractionDigits: digits}))
      }),
      {numRuns: 2000},
    )
  })

  it('groups thousands and drops trailing zeros', () => {
    expect(grouped(1234567.5)).toBe('1,234,567.5')
    expect(grouped(-1234.5678)).toBe('-1,234.568')
    expect(grouped(12.5, 0)).toBe('13')
    expect(grouped(100)).toBe('100')
    expect(grouped(Number.POSITIVE_INFINITY)).toBe('∞')
  })
})
