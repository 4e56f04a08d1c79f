// Which key the workload touches next: a seeded Zipf sampler over key ranks, so a run is reproducible from the gate's
// seed.

/** Most keys a workload may name: the sampler keeps one double per key. */
export const MAX_KEYS = 1_000_000

/**
 * Zipf's law over ranks 0..keys−1: P(rank k) ∝ 1 / (k + 1)^skew; skew 0 is uniform, larger skews
 * put more of the traffic on the first ranks. A precomputed CDF and a binary search per draw.
 */
export class ZipfSampler {
  private readonly cdf: Float64Array

  constructor(
    readonly keys: number,
    readonly skew: number,
    private readonly uniform: () => number,
  ) {
    if (!Number.isInteger(keys) || keys < 1 || keys > MAX_KEYS)
      throw new RangeError(`keys must be a whole number from 1 to ${MAX_KEYS}, got ${keys}`)
    if (!(skew >= 0) || !Number.isFinite(skew)) throw new RangeError(`skew must be a finite number ≥ 0, got ${skew}`)
    this.cdf = new Float64Array(keys)
    let total = 0
    for (let rank = 0; rank < keys; rank++) this.cdf[rank] = total += (rank + 1) ** -skew
    for (let rank = 0; rank < keys; rank++) this.cdf[rank]! /= total
    // Rounding must not leave a draw just under 1 past the last rank.
    this.cdf[keys - 1] = 1
  }

  /** P(rank), for tests and for the expected hit rate of a cache that holds the hottest ranks. */
  probability(rank: number): number {
    return this.cdf[rank]! - (rank === 0 ? 0 : this.cdf[rank - 1]!)
  }

  /** Share of all draws that fall on ranks 0..count−1. */
  massOfTop(count: number): number {
    return count <= 0 ? 0 : this.cdf[Math.min(count, this.keys) - 1]!
  }

  /** The next rank: the first whose cumulative probability exceeds a uniform draw. */
  next(): number {
    const u = this.uniform()
    let lo = 0
    let hi = this.keys - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.cdf[mid]! > u) hi = mid
      else lo = mid + 1
    }

    return lo
  }
}
