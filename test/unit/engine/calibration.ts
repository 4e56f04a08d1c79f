// Shared by test/unit/engine/calibration.test.ts and `npm run bench -- --only calibration`: distributions whose
// quantiles, mean and standard deviation are known, sample sets drawn from them with a seeded RNG, and the engine's
// verdicts counted over many sets with the truth on the threshold (scoring.md v2 §2: "PASS at confidence 0.95" lets
// at most 5% of such runs PASS).
import type {DecisionSettings, EvidenceKind, MetricEvidence, Status} from '../../../src/engine/types.js'

import {parseExpectation} from '../../../src/engine/expectation.js'
import {probit} from '../../../src/engine/probability.js'
import {binomialCdf} from '../../../src/engine/quantile.js'
import {Random, hashSeed} from '../../../src/engine/random.js'
import {normalCdf} from '../../../src/engine/shift.js'
import {evaluateExpectation} from '../../../src/engine/verdict.js'

export const SIZES = [3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000] as const

/** A distribution with its truth: quantiles, mean and standard deviation. */
export interface Shape {
  name: string
  /** One draw. */
  draw: (random: Random) => number
  cdf: (x: number) => number
  quantile: (level: number) => number
  mean: number
  sd: number
}

/** exp(μ + σZ), Z standard normal. */
function lognormalDraw(random: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * random.normal())
}

/** Lognormal(μ = 0, σ = 1): skewness 6.2, every moment finite. All of its truth is closed-form. */
const lognormal: Shape = {
  cdf: (x) => (x > 0 ? normalCdf(Math.log(x)) : 0),
  draw: (random) => lognormalDraw(random, 1, 1),
  mean: Math.exp(0.5),
  name: 'lognormal σ=1',
  quantile: (level) => Math.exp(probit(level)),
  sd: Math.sqrt((Math.E - 1) * Math.E),
}

// A bimodal latency mixture: 80% lognormal median 10 σ 0.2 (the fast path), 20% lognormal median 60 σ 0.3 (the slow
// one).
const MIXTURE = [
  {median: 10, sigma: 0.2, weight: 0.8},
  {median: 60, sigma: 0.3, weight: 0.2},
] as const

function mixtureCdf(x: number): number {
  if (x <= 0) return 0
  let p = 0
  for (const part of MIXTURE) p += part.weight * normalCdf(Math.log(x / part.median) / part.sigma)
  return p
}

/** The mixture's moments are closed-form: E[X^k] = Σ wᵢ·medianᵢ^k·exp(k²σᵢ²/2). */
function mixtureMoment(k: number): number {
  let sum = 0
  for (const part of MIXTURE) sum += part.weight * part.median ** k * Math.exp((k * k * part.sigma * part.sigma) / 2)
  return sum
}

/** Its quantiles have no closed form: bisection on the CDF to the last bit. */
function mixtureQuantile(level: number): number {
  let lo = 0
  let hi = 1e4
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2
    if (mixtureCdf(mid) < level) lo = mid
    else hi = mid
  }

  return (lo + hi) / 2
}

const mixture: Shape = {
  cdf: mixtureCdf,
  draw(random) {
    const slow = random.uniform() < (MIXTURE[0].weight as number) ? MIXTURE[0] : MIXTURE[1]
    return lognormalDraw(random, slow.median, slow.sigma)
  },
  mean: mixtureMoment(1),
  name: 'bimodal 80/20',
  quantile: mixtureQuantile,
  sd: Math.sqrt(mixtureMoment(2) - mixtureMoment(1) ** 2),
}

/** Lomax (Pareto II) with α = 3, scale 1: P(X > x) = (1 + x)^−3. Mean ½, variance ¾; the third moment is infinite. */
const ALPHA = 3
const lomax: Shape = {
  cdf: (x) => (x > 0 ? 1 - (1 + x) ** -ALPHA : 0),
  draw: (random) => (1 - random.uniform()) ** (-1 / ALPHA) - 1,
  mean: 1 / (ALPHA - 1),
  name: 'Lomax α=3',
  quantile: (level) => (1 - level) ** (-1 / ALPHA) - 1,
  sd: Math.sqrt(ALPHA / ((ALPHA - 1) ** 2 * (ALPHA - 2))),
}

export const SHAPES: readonly Shape[] = [lognormal, mixture, lomax]

export type SampleMethod = 'p50' | 'p95' | 'mean' | 'stddev'
export type Direction = '<' | '>'

export function truthOf(shape: Shape, method: SampleMethod): number {
  switch (method) {
    case 'p50':
      return shape.quantile(0.5)
    case 'p95':
      return shape.quantile(0.95)
    case 'mean':
      return shape.mean
    case 'stddev':
      return shape.sd
  }
}

/**
 * The engine's settings for the calibration: B = 999 studentized resamples keeps the whole file within about 90 s on
 * one core.
 */
export const CALIBRATION_SETTINGS: DecisionSettings = {confidence: 0.95, minConsensus: 0.85, resamples: 999, seed: 1}

/** Sample sets per n: every set of a mean or stddev is a bootstrap-t of B resamples, so fewer of them at large n. */
export function setsFor(method: SampleMethod | 'proportion', n: number): number {
  return method === 'mean' || method === 'stddev' ? (n <= 100 ? 400 : 200) : 400
}

export interface Tally {
  sets: number
  pass: number
  fail: number
}

/** One sample set of n from `shape`, the same for every method and direction: seeded by (shape, n, set). */
export function sampleSet(shape: Shape, n: number, set: number): number[] {
  const random = new Random(hashSeed('calibration', shape.name, n, set))
  return Array.from({length: n}, () => shape.draw(random))
}

/** The verdict of `statistic(x) op threshold` on one metric's evidence, through the engine's public function. */
export function verdictOf(
  text: string,
  metric: MetricEvidence,
  set: number,
  settings: DecisionSettings = CALIBRATION_SETTINGS,
  kind: EvidenceKind = 'measured',
): Status {
  const evidence = {kind, metrics: {x: metric}, source: 'calibration'}
  return evaluateExpectation(parseExpectation(text), evidence, kind, {...settings, seed: set}, 'calibration').status
}

/**
 * Verdicts of `method(x) direction threshold` over `sets` sample sets of n from `shape`, where the threshold is the
 * truth divided by `factor`: factor 1 puts the truth on the threshold; 0.8 for `<` (1.25 for `>`) puts it 20% on the
 * holding side.
 */
export function tallySamples(
  shape: Shape,
  method: SampleMethod,
  direction: Direction,
  n: number,
  sets: number,
  factor = 1,
): Tally {
  const threshold = truthOf(shape, method) / factor
  const text = `${method}(x) ${direction} ${threshold}`
  const tally: Tally = {fail: 0, pass: 0, sets}
  for (let set = 0; set < sets; set++) {
    const status = verdictOf(text, {dimension: 'count', samples: sampleSet(shape, n, set), type: 'samples'}, set)
    if (status === 'PASS') tally.pass++
    else if (status === 'FAIL') tally.fail++
  }

  return tally
}

/** Verdicts of `rate(x) direction threshold` for an events/trials metric whose true rate is rate × factor. */
export function tallyProportion(rate: number, direction: Direction, trials: number, sets: number, factor = 1): Tally {
  const text = `x ${direction} ${rate}`
  const tally: Tally = {fail: 0, pass: 0, sets}
  for (let set = 0; set < sets; set++) {
    const random = new Random(hashSeed('calibration', 'proportion', rate, factor, trials, set))
    let events = 0
    for (let i = 0; i < trials; i++) if (random.uniform() < rate * factor) events++
    const status = verdictOf(text, {events, trials, type: 'proportion'}, set)
    if (status === 'PASS') tally.pass++
    else if (status === 'FAIL') tally.fail++
  }

  return tally
}

/**
 * The most PASSes (or FAILs) that a true 5% share gives in `sets` sets, at the 99.9% quantile of Binomial(sets, 0.05).
 */
export function slack(sets: number, share = 0.05, level = 0.999): number {
  let k = 0
  while (binomialCdf(k, sets, share) < level) k++
  return k
}
