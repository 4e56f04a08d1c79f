import {describe, expect, it} from 'vitest'

import {editDistance, nearest} from '../../../src/engine/suggest.js'

describe('editDistance', () => {
  it.each([
    ['expect', 'expect', 0],
    ['expct', 'expect', 1],
    ['rnus', 'runs', 1],
    ['titel', 'title', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3],
  ])('%s → %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance)
    expect(editDistance(b, a)).toBe(distance)
  })
})

describe('nearest', () => {
  const keys = ['id', 'title', 'validator', 'with', 'expect', 'weight', 'required', 'level', 'timeout', 'quality']
  it('suggests the key a typo meant, swapped letters included', () => {
    expect(nearest('expct', keys)).toBe('expect')
    expect(nearest('titel', keys)).toBe('title')
    expect(nearest('validatr', keys)).toBe('validator')
    expect(nearest('Required', keys)).toBe('required')
  })
  it('suggests nothing when no key is plausibly meant', () => {
    expect(nearest('colour', keys)).toBeUndefined()
    expect(nearest('x', keys)).toBeUndefined()
  })
})
