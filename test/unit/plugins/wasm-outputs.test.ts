import {describe, expect, it} from 'vitest'

import {describeOutcome, describeValue, outcomeOf, sameOutcome, sameValue} from '../../../plugins/wasm/src/outputs.js'
import {quantile} from '../../../plugins/wasm/src/wasm.js'
import * as api from '../../../src/index.js'

describe('wasm outputs: when the module and its twin agree', () => {
  it('compares numbers exactly by default, NaN matching NaN only', () => {
    expect(sameValue(3, 3, 0)).toBe(true)
    expect(sameValue(0.1 + 0.2, 0.3, 0)).toBe(false)
    expect(sameValue(Number.NaN, Number.NaN, 0)).toBe(true)
    expect(sameValue(Number.NaN, 0, 1)).toBe(false)
    expect(sameValue(0, Number.NaN, 1)).toBe(false)
    expect(sameValue(-0, 0, 0)).toBe(true)
    expect(sameValue(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 0)).toBe(true)
    expect(sameValue(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1)).toBe(false)
    expect(sameValue(5, Number.POSITIVE_INFINITY, 1)).toBe(false)
  })

  it('takes the tolerance as absolute below 1 and relative to the twin’s output above', () => {
    expect(sameValue(0.1 + 0.2, 0.3, 1e-12)).toBe(true)
    expect(sameValue(0.5000001, 0.5, 1e-6)).toBe(true)
    expect(sameValue(0.500002, 0.5, 1e-6)).toBe(false)
    expect(sameValue(1_000_000.5, 1_000_000, 1e-6)).toBe(true)
    expect(sameValue(1_000_002, 1_000_000, 1e-6)).toBe(false)
  })

  it('compares bigints exactly, arrays element by element, anything else by identity', () => {
    expect(sameValue(7n, 7n, 0)).toBe(true)
    expect(sameValue(7n, 7, 1)).toBe(false)
    expect(sameValue([1, Number.NaN], [1, Number.NaN], 0)).toBe(true)
    expect(sameValue([1, 2], [1, 2, 3], 0)).toBe(false)
    expect(sameValue([1.0000001], [1], 1e-6)).toBe(true)
    expect(sameValue(undefined, undefined, 0)).toBe(true)
    expect(sameValue(undefined, 0, 0)).toBe(false)
  })

  it('never matches a call that threw, even when both threw', () => {
    const threw = outcomeOf(() => {
      throw new RangeError('bad input')
    }, [])
    expect(threw).toEqual({threw: 'RangeError: bad input'})
    expect(sameOutcome(threw, threw, 0)).toBe(false)
    expect(
      sameOutcome(
        outcomeOf((a, b) => Math.max(Number(a), Number(b)), [1, 2]),
        {value: 2},
        0,
      ),
    ).toBe(true)
  })
})

describe('wasm outputs: how notes show them', () => {
  it('shows values as a reader would write them, cut short when long', () => {
    expect(describeValue([46_341, -0, 2n, 'x'])).toBe('[46341, -0, 2n, "x"]')
    expect(describeOutcome({threw: 'RuntimeError: unreachable'})).toBe('threw RuntimeError: unreachable')
    expect(describeOutcome({value: undefined})).toBe('undefined')
    const long = describeValue(Array.from({length: 100}, (_, index) => index))
    expect(long).toHaveLength(120)
    expect(long.endsWith('...')).toBe(true)
  })

  it('interpolates quantiles between neighbours', () => {
    expect(quantile(api, [1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(quantile(api, [1, 2, 3, 4], 1)).toBe(4)
    expect(quantile(api, [5], 0.95)).toBe(5)
    expect(quantile(api, [], 0.5)).toBeNaN()
    expect(quantile(api, [1, 2, 3], 0.5)).toBe(2)
  })
})
