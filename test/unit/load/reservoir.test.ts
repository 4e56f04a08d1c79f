import {describe, expect, it} from 'vitest'

import {SampleReservoir} from '../../../src/load/index.js'

describe('sample reservoir', () => {
  it('keeps every sample until it is full', () => {
    const reservoir = new SampleReservoir(10)
    for (let i = 0; i < 7; i++) reservoir.add(i)
    expect(reservoir.samples()).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(reservoir.seen).toBe(7)
  })

  it('stays bounded however many samples pass, counting them all', () => {
    const reservoir = new SampleReservoir(1000)
    for (let i = 0; i < 200_000; i++) reservoir.add(i)
    expect(reservoir.samples()).toHaveLength(1000)
    expect(reservoir.seen).toBe(200_000)
  })

  it('keeps a uniform sample: early and late items are equally likely', () => {
    const reservoir = new SampleReservoir(2000, 7)
    for (let i = 0; i < 100_000; i++) reservoir.add(i)
    const samples = reservoir.samples()
    const firstHalf = samples.filter((value) => value < 50_000).length
    // Binomial(2000, 0.5): sd ≈ 22, so ±150 is almost 7 sd.
    expect(Math.abs(firstHalf - 1000)).toBeLessThan(150)
    const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length
    expect(Math.abs(mean - 50_000)).toBeLessThan(3000)
    expect(new Set(samples).size).toBe(2000)
  })

  it('keeps the same samples for the same seed and stream', () => {
    const fill = (seed: number): number[] => {
      const reservoir = new SampleReservoir(50, seed)
      for (let i = 0; i < 5000; i++) reservoir.add(i)
      return reservoir.samples()
    }

    expect(fill(3)).toEqual(fill(3))
    expect(fill(3)).not.toEqual(fill(4))
  })
})
