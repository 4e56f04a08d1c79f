// Distributions for proportions: the Beta posterior's CDF, the Wilson interval, and the normal quantile.
import {gammaln} from 'simple-statistics'

/**
 * Normal quantile (Wichura's AS241, about 1e-16 relative error).
 * simple-statistics' probit is only good to ~3 digits (probit(0.975) ≈ 1.9572, not 1.95996).
 */
export function probit(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY
    if (p === 1) return Number.POSITIVE_INFINITY
    return Number.NaN
  }

  const q = p - 0.5
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q
    return q * rational(r, CENTRAL_NUM, CENTRAL_DEN)
  }

  const r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p))
  const z = r <= 5 ? rational(r - 1.6, NEAR_NUM, NEAR_DEN) : rational(r - 5, TAIL_NUM, TAIL_DEN)
  return q < 0 ? -z : z
}

const CENTRAL_NUM = [
  3.387_132_872_796_366_5, 133.141_667_891_784_38, 1971.590_950_306_551_3, 13_731.693_765_509_461,
  45_921.953_931_549_87, 67_265.770_927_008_7, 33_430.575_583_588_13, 2509.080_928_730_122_7,
]
const CENTRAL_DEN = [
  1, 42.313_330_701_600_91, 687.187_007_492_057_9, 5394.196_021_424_751, 21_213.794_301_586_597, 39_307.895_800_092_71,
  28_729.085_735_721_943, 5226.495_278_852_545,
]
const NEAR_NUM = [
  1.423_437_110_749_683_5, 4.630_337_846_156_546, 5.769_497_221_460_691, 3.647_848_324_763_204_5,
  1.270_458_252_452_368_4, 0.241_780_725_177_450_6, 0.022_723_844_989_269_184, 7.745_450_142_783_414e-4,
]
const NEAR_DEN = [
  1, 2.053_191_626_637_759, 1.676_384_830_183_803_8, 0.689_767_334_985_1, 0.148_103_976_427_480_08,
  0.015_198_666_563_616_457, 5.475_938_084_995_345e-4, 1.050_750_071_644_416_9e-9,
]
const TAIL_NUM = [
  6.657_904_643_501_103, 5.463_784_911_164_114, 1.784_826_539_917_291_3, 0.296_560_571_828_504_9,
  0.026_532_189_526_576_124, 0.001_242_660_947_388_078_4, 2.711_555_568_743_487_6e-5, 2.010_334_399_292_288_1e-7,
]
const TAIL_DEN = [
  1, 0.599_832_206_555_888, 0.136_929_880_922_735_8, 0.014_875_361_290_850_615, 7.868_691_311_456_133e-4,
  1.846_318_317_510_054_8e-5, 1.421_511_758_316_446e-7, 2.044_263_103_389_939_8e-15,
]

function rational(x: number, num: readonly number[], den: readonly number[]): number {
  let n = 0
  let d = 0
  for (let i = num.length - 1; i >= 0; i--) {
    n = n * x + (num[i] ?? 0)
    d = d * x + (den[i] ?? 0)
  }

  return n / d
}

/**
 * Regularized incomplete beta I_x(a, b) = CDF of Beta(a, b) at x: modified Lentz continued fraction
 * (Numerical Recipes §6.4) with the prefactor from Loader's saddle-point binomial density, so that
 * a and b up to ~1e9 neither overflow nor lose digits to cancellation.
 */
export function betaCdf(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x)) return Number.NaN
  if (x <= 0) return 0
  if (x >= 1) return 1
  // The fraction converges fast only below the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) above it.
  if (x > (a + 1) / (a + b + 2)) return 1 - betaCdf1(1 - x, b, a, x)
  return betaCdf1(x, a, b, 1 - x)
}

// `y` is 1 − x passed separately: for x near 1 it is known more precisely than 1 − x.
function betaCdf1(x: number, a: number, b: number, y: number): number {
  const front = Math.exp(logPowerTerms(x, y, a, b))
  if (front === 0) return 0
  return (front * continuedFraction(x, a, b)) / a
}

/** log of x^a · y^b / B(a, b), with y = 1 − x. */
function logPowerTerms(x: number, y: number, a: number, b: number): number {
  if (a >= 1 && b >= 1) {
    // x^a y^b / B(a,b) = x·y·(a+b−1)·binom(a−1; a+b−2, x): the binomial form stays exact for huge a, b.
    return Math.log(x) + Math.log(y) + Math.log(a + b - 1) + logBinomialDensity(a - 1, a + b - 2, x, y)
  }

  return a * Math.log(x) + b * Math.log(y) + gammaln(a + b) - gammaln(a) - gammaln(b)
}

function continuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < tiny) d = tiny
  d = 1 / d
  let h = d
  // Worst case needs O(√max(a,b)) terms (Numerical Recipes); the cap only guards against a bug looping forever.
  const maxTerms = 1000 + Math.ceil(20 * Math.sqrt(Math.max(a, b)))
  for (let m = 1; m <= maxTerms; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < tiny) d = tiny
    c = 1 + aa / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-15) return h
  }

  return h
}

const LN_SQRT_2PI = 0.918_938_533_204_672_8
const LN_2PI = 1.837_877_066_409_345_5

/** log of the binomial density at k of n trials with success probability p (q = 1 − p), for real k, n (Loader 2000). */
function logBinomialDensity(k: number, n: number, p: number, q: number): number {
  if (k === 0) return n === 0 ? 0 : p < 0.1 ? -deviance(n, n * q) - n * p : n * Math.log(q)
  if (k === n) return q < 0.1 ? -deviance(n, n * p) - n * q : n * Math.log(p)
  const lc = stirlingError(n) - stirlingError(k) - stirlingError(n - k) - deviance(k, n * p) - deviance(n - k, n * q)
  const lf = LN_2PI + Math.log(k) + Math.log1p(-k / n)
  return lc - 0.5 * lf
}

/** log Γ(n+1) − ((n+½)·log n − n + ½·log 2π): the error of Stirling's formula. */
function stirlingError(n: number): number {
  if (n <= 15) return gammaln(n + 1) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI
  const nn = n * n
  const s0 = 1 / 12
  const s1 = 1 / 360
  const s2 = 1 / 1260
  const s3 = 1 / 1680
  const s4 = 1 / 1188
  if (n > 500) return (s0 - s1 / nn) / n
  if (n > 80) return (s0 - (s1 - s2 / nn) / nn) / n
  if (n > 35) return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
  return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n
}

/** x·log(x/m) + m − x without cancellation when x ≈ m. */
function deviance(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m)
    let s = (x - m) * v
    let ej = 2 * x * v
    v *= v
    for (let j = 1; j < 1000; j++) {
      ej *= v
      const next = s + ej / (2 * j + 1)
      if (next === s) return next
      s = next
    }

    return s
  }

  return x * Math.log(x / m) + m - x
}

/** Wilson score interval for events out of trials at normal quantile z. */
export function wilson(events: number, trials: number, z: number): [number, number] {
  const p = events / trials
  const z2 = z * z
  const denominator = 1 + z2 / trials
  const centre = (p + z2 / (2 * trials)) / denominator
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))
  // At 0 or all events the bound is exactly 0 or 1; the formula only gets there up to rounding.
  return [events === 0 ? 0 : Math.max(0, centre - half), events === trials ? 1 : Math.min(1, centre + half)]
}

/**
 * Quantile of Beta(a, b) by bisection to adjacent doubles: `upper` gives the smallest x with
 * I_x ≥ level, `lower` the largest x with I_x ≤ 1 − level, so a threshold that P(holds) ≥ level
 * clears is never on the wrong side of the bound.
 */
export function betaBound(a: number, b: number, level: number, side: 'lower' | 'upper'): number {
  let lo = 0
  let hi = 1
  for (let i = 0; i < 2000; i++) {
    const mid = lo + (hi - lo) / 2
    if (mid === lo || mid === hi) break
    const cdf = betaCdf(mid, a, b)
    if (side === 'upper' ? cdf >= level : cdf > 1 - level) hi = mid
    else lo = mid
  }

  return side === 'upper' ? hi : lo
}
