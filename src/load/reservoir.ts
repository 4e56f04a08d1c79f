import {hashSeed, Random} from '../engine/random.js'

/** A uniform random subset of `size` samples (partial Fisher–Yates on a copy): unbiased and O(size) draws. */
export function reservoir(samples: readonly number[], size: number, random: Random): number[] {
  const pool = Float64Array.from(samples)
  for (let i = 0; i < size; i++) {
    const j = i + random.index(pool.length - i)
    const picked = pool[j]!
    pool[j] = pool[i]!
    pool[i] = picked
  }

  return Array.from(pool.subarray(0, size))
}

/**
 * Chooses a uniform random subset of a stream of unknown length in fixed memory (Vitter's
 * algorithm R): every item seen so far has the same chance, capacity / seen, of holding a slot.
 * It picks slots only, so callers can keep several values per item in their own arrays.
 */
export class ReservoirSlots {
  /** Items offered so far. */
  seen = 0
  private readonly random: Random
  /** The same seed and stream of items keep the same slots. */
  constructor(
    readonly capacity: number,
    seed: number | string = 1,
  ) {
    this.random = new Random(hashSeed(seed, 'reservoir'))
  }

  /** The slot the next item goes into, or -1 when it is not kept. */
  next(): number {
    const index = this.seen++
    if (index < this.capacity) return index
    const slot = this.random.index(index + 1)
    return slot < this.capacity ? slot : -1
  }

  /** Slots in use. */
  get size(): number {
    return Math.min(this.seen, this.capacity)
  }
}

/** A bounded uniform sample of numbers, seeded so a run keeps the same samples for the same stream. */
export class SampleReservoir {
  private readonly slots: ReservoirSlots
  private readonly values: Float64Array
  constructor(capacity: number, seed: number | string = 1) {
    this.slots = new ReservoirSlots(capacity, seed)
    this.values = new Float64Array(capacity)
  }

  add(value: number): void {
    const slot = this.slots.next()
    if (slot >= 0) this.values[slot] = value
  }

  get seen(): number {
    return this.slots.seen
  }

  samples(): number[] {
    return Array.from(this.values.subarray(0, this.slots.size))
  }
}
