// Seeded randomness for the bootstrap: xoshiro128** (Blackman & Vigna), seeded from a string hash.

/** 128-bit hash of the parts (cyrb128), so each expectation gets its own stream whatever the target order. */
export function hashSeed(...parts: Array<number | string>): [number, number, number, number] {
  const text = parts.map(String).join('\u0000')
  let h1 = 1_779_033_703
  let h2 = 3_144_134_277
  let h3 = 1_013_904_242
  let h4 = 2_773_480_762
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597_399_067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2_869_860_233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951_274_213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2_716_044_179)
  }

  h1 = Math.imul(h3 ^ (h1 >>> 18), 597_399_067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2_869_860_233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951_274_213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2_716_044_179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

/** xoshiro128**: small, fast, and good enough for resampling indices. */
export class Random {
  private a: number
  private b: number
  private c: number
  private d: number
  constructor(state: readonly [number, number, number, number]) {
    ;[this.a, this.b, this.c, this.d] = state
    // The all-zero state is the one state xoshiro never leaves.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9)
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return result >>> 0
  }

  /**
   * Fills `into` with draws from `from`, with replacement; the generator runs in locals because this is the bootstrap's
   * hot loop (n < 2^31).
   */
  resample(from: Float64Array, into: Float64Array): void {
    let {a, b, c, d} = this
    const n = from.length
    const scale = n * 2 ** -32
    for (let i = 0; i < into.length; i++) {
      const x = Math.imul(b, 5)
      const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0
      const t = b << 9
      c ^= a
      d ^= b
      b ^= c
      a ^= d
      c ^= t
      d = (d << 11) | (d >>> 21)
      into[i] = from[(result * scale) | 0] as number
    }

    this.a = a
    this.b = b
    this.c = c
    this.d = d
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() * 2 ** -32
  }

  /** Standard normal (Box–Muller; one of the pair is dropped, which keeps the stream stateless). */
  normal(): number {
    const u = 1 - this.uniform()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform())
  }

  /** Gamma(shape, 1) for shape ≥ 1 (Marsaglia & Tsang 2000): O(1) whatever the shape. */
  gamma(shape: number): number {
    const d = shape - 1 / 3
    const c = 1 / Math.sqrt(9 * d)
    for (;;) {
      const x = this.normal()
      const v = (1 + c * x) ** 3
      if (v <= 0) continue
      const u = 1 - this.uniform()
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v
    }
  }

  /** Beta(a, b) for a, b ≥ 1, as the share of two gamma draws. */
  beta(a: number, b: number): number {
    const x = this.gamma(a)
    return x / (x + this.gamma(b))
  }

  /** Uniform index in [0, n); multiply-shift bias is below n / 2^32, negligible for sample sets. */
  index(n: number): number {
    return Math.floor(this.nextUint32() * n * 2 ** -32)
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
