// The expectation grammar of gate files: `[statistic(]metric[)] operator value[unit]` (gate-file.md "Expectations").
import type {Dimension, MetricEvidence, Operator} from './types.js'

import {nearest} from './suggest.js'
import {UNITS, dimensionsCompatible} from './units.js'

/** A parsed expectation; the threshold is already in canonical units. */
export interface Expectation {
  /** The expectation as written. */
  text: string
  metric: string
  /** 'value' for a bare metric; otherwise min max mean median stddev count sum rate or pN as written (p95, p99.9). */
  statistic: string
  operator: Operator
  /** Threshold in canonical units (ms, bytes, 0..1, plain, per second). */
  threshold: number
  /** Unit as written, null for a bare number. */
  unit: string | null
  /** Dimension of the unit; null for a bare number (fits counts, ratios and proportions). */
  thresholdDimension: Dimension | null
  /** 0-based offsets into `text` of each part, so later checks can point at it. */
  at: {metric: number; operator: number; statistic: number | null; threshold: number}
  /**
   * Set when the threshold is relative to the baseline (`baseline * 1.10`, `baseline + 10%`,
   * `baseline - 5ms`); `threshold` is then only known once the baseline is: it is NaN here.
   */
  relative?: RelativeThreshold
}

/** `baseline * f` and `baseline ± N%` scale the baseline's statistic; `baseline ± amount` shifts it. */
export type RelativeThreshold = {factor: number; kind: 'scale'} | {amount: number; kind: 'offset'}

/** The threshold of a relative expectation once the baseline's statistic is known. */
export function relativeThreshold(relative: RelativeThreshold, baseline: number): number {
  return relative.kind === 'scale' ? baseline * relative.factor : baseline + relative.amount
}

/** A mistake in an expectation, with where it is in the text. */
export class ExpectationSyntaxError extends Error {
  /** 0-based index into the expectation text of the bad token. */
  readonly offset: number
  readonly length: number
  /** What to write instead; `message` already ends with it after " — ". */
  readonly hint?: string
  /** The message without the hint (for a ConfigIssue that shows the hint separately). */
  readonly problem: string
  constructor(problem: string, offset: number, length: number, hint?: string) {
    super(hint ? `${problem} — ${hint}` : problem)
    this.name = 'ExpectationSyntaxError'
    this.problem = problem
    this.offset = offset
    this.length = length
    if (hint !== undefined) this.hint = hint
  }
}

/** Shows the expectation with a caret line under the bad token. */
export function pointAt(text: string, error: ExpectationSyntaxError): string {
  return `${text}\n${' '.repeat(error.offset)}${'^'.repeat(Math.max(1, error.length))}`
}

export const NAMED_STATISTICS = ['min', 'max', 'mean', 'median', 'stddev', 'count', 'sum', 'rate'] as const
export const OPERATORS: readonly Operator[] = ['<', '<=', '>', '>=', '==', '!=']
const STATISTIC_LIST = `${NAMED_STATISTICS.join(' ')} p50 p90 p95 p99 p99.9 or pN`
const OPERATOR_LIST = OPERATORS.join(' ')

const PERCENTILE = /^p(\d+(?:\.\d+)?)$/
const IDENTIFIER = /[a-zA-Z_][a-zA-Z0-9_.]*/y
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y
const UNIT = /[a-zA-Zµ%/]+/y
const SPACE = /\s*/y

const STATISTIC_ALIASES: Readonly<Record<string, string>> = {
  average: 'mean',
  avg: 'mean',
  maximum: 'max',
  minimum: 'min',
  p999: 'p99.9',
  sd: 'stddev',
  std: 'stddev',
  total: 'sum',
}

// Words people write for units, mapped to the unit the grammar knows.
const UNIT_ALIASES: Readonly<Record<string, string>> = {
  bytes: 'B',
  hour: 'h',
  hours: 'h',
  hr: 'h',
  hrs: 'h',
  micros: 'us',
  millis: 'ms',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  msec: 'ms',
  msecs: 'ms',
  nanos: 'ns',
  nsec: 'ns',
  percent: '%',
  rps: '/s',
  sec: 's',
  second: 's',
  seconds: 's',
  secs: 's',
  usec: 'us',
}

/** Quantile in (0, 1) for a percentile statistic ("p99.9" → 0.999); null for any other statistic. */
export function percentileOf(statistic: string): number | null {
  const match = PERCENTILE.exec(statistic)
  if (!match) return null
  const n = Number(match[1])
  return n > 0 && n < 100 ? n / 100 : null
}

export function isStatistic(word: string): boolean {
  return (NAMED_STATISTICS as readonly string[]).includes(word) || percentileOf(word) !== null
}

/** Reads a gate-file expectation; throws ExpectationSyntaxError pointing at the first bad token. */
export function parseExpectation(text: string): Expectation {
  const scan = new Scanner(text)
  scan.space()
  const first = scan.identifier()
  if (first === null) {
    throw new ExpectationSyntaxError(
      text.trim() === '' ? 'empty expectation' : `expected a metric name or statistic(metric), found "${scan.token()}"`,
      scan.pos,
      Math.max(1, scan.token().length),
      'write it as p95(latency) <= 200ms or error_rate < 1%',
    )
  }

  let statistic = 'value'
  let statisticAt: number | null = null
  let metric = first.word
  let metricAt = first.at
  scan.space()
  if (scan.peek() === '(') {
    checkStatistic(first.word, first.at)
    statistic = first.word
    statisticAt = first.at
    scan.pos++
    scan.space()
    const inner = scan.identifier()
    if (inner === null) {
      throw new ExpectationSyntaxError(
        `expected a metric name inside "${first.word}("`,
        scan.pos,
        Math.max(1, scan.token().length),
        `e.g. ${first.word}(latency)`,
      )
    }

    metric = inner.word
    metricAt = inner.at
    scan.space()
    if (scan.peek() !== ')') {
      throw new ExpectationSyntaxError(
        `expected ")" after "${text.slice(first.at, scan.pos).trimEnd()}"`,
        scan.pos,
        Math.max(1, scan.token().length),
      )
    }

    scan.pos++
  }

  const left = text.slice(statisticAt ?? metricAt, scan.pos).trim()
  scan.space()
  const operatorAt = scan.pos
  const operator = scan.operator(left)
  scan.space()
  const thresholdAt = scan.pos
  const baseline = scan.baseline()
  const threshold = baseline === null ? scan.quantity(operator) : baseline
  scan.space()
  if (!scan.done()) {
    throw new ExpectationSyntaxError(
      `unexpected "${text.slice(scan.pos).trim()}" after the threshold`,
      scan.pos,
      text.length - scan.pos,
      'an expectation ends with its threshold, e.g. p95(latency) <= 200ms',
    )
  }

  return {
    at: {metric: metricAt, operator: operatorAt, statistic: statisticAt, threshold: thresholdAt},
    metric,
    operator,
    statistic,
    text,
    threshold: threshold.value,
    thresholdDimension: threshold.dimension,
    unit: threshold.unit,
    ...(baseline?.relative ? {relative: baseline.relative} : {}),
  }
}

function checkStatistic(word: string, at: number): void {
  if (isStatistic(word)) return
  const percentile = PERCENTILE.exec(word)
  if (percentile) {
    const extreme =
      Number(percentile[1]) <= 0
        ? 'use min for the smallest sample'
        : 'use max for the largest, or write p99.9 with its dot'
    throw new ExpectationSyntaxError(
      `percentile "${word}" is out of range`,
      at,
      word.length,
      `N in pN lies strictly between 0 and 100; ${extreme}`,
    )
  }

  // Only named statistics get a guess: "p9x" could be p90, p95 or p99, and a wrong guess misleads.
  const guess = STATISTIC_ALIASES[word.toLowerCase()] ?? nearest(word, NAMED_STATISTICS)
  const list = `use ${STATISTIC_LIST}`
  throw new ExpectationSyntaxError(
    `unknown statistic "${word}"`,
    at,
    word.length,
    guess ? `did you mean "${guess}"? ${list}` : list,
  )
}

function suggestUnit(unit: string): string | undefined {
  const alias = UNIT_ALIASES[unit.toLowerCase()]
  if (alias) return alias
  return nearest(unit, Object.keys(UNITS))
}

const RELATIVE_FORMS = 'compare with the baseline as baseline * 1.10, baseline + 10%, baseline - 5% or baseline + 20ms'

interface Quantity {
  dimension: Dimension | null
  unit: string | null
  value: number
}

class Scanner {
  pos = 0
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length
  }

  peek(): string {
    return this.text[this.pos] ?? ''
  }

  /** The run of non-space characters at the cursor, for messages. */
  token(): string {
    return /^\S*/.exec(this.text.slice(this.pos))?.[0] ?? ''
  }

  space(): void {
    this.pos = this.sticky(SPACE)?.end ?? this.pos
  }

  identifier(): {at: number; word: string} | null {
    const match = this.sticky(IDENTIFIER)
    if (!match) return null
    this.pos = match.end
    return {at: match.at, word: match.word}
  }

  operator(left: string): Operator {
    const at = this.pos
    const two = this.text.slice(at, at + 2)
    const one = this.text.slice(at, at + 1)
    for (const candidate of [two, one]) {
      if ((OPERATORS as readonly string[]).includes(candidate)) {
        this.pos += candidate.length
        return candidate as Operator
      }
    }

    const problem = `expected an operator (${OPERATOR_LIST}) after "${left}"`
    if (this.done()) throw new ExpectationSyntaxError(problem, at, 1, `e.g. ${left} <= 200ms`)
    const written = /^[=<>!≤≥]+/.exec(this.text.slice(at))?.[0]
    const instead: Record<string, string> = {
      '!': '!=',
      '<>': '!=',
      '=': '==',
      '=<': '<=',
      '=>': '>=',
      '≤': '<=',
      '≥': '>=',
    }
    const fix = written === undefined ? undefined : instead[written]
    throw new ExpectationSyntaxError(
      `${problem}, found "${written ?? this.token()}"`,
      at,
      (written ?? this.token()).length,
      fix ? `write ${fix}` : undefined,
    )
  }

  /**
   * `baseline`, `baseline * F`, `baseline + N%`, `baseline - N%` (scale) or `baseline ± amount[unit]`
   * (offset) at the cursor; null when the threshold does not start with the word baseline.
   */
  baseline(): (Quantity & {relative: RelativeThreshold}) | null {
    const word = this.sticky(/baseline\b/iy)
    if (!word) return null
    this.pos = word.end
    this.space()
    const sign = this.peek()
    if (this.done()) return {dimension: null, relative: {factor: 1, kind: 'scale'}, unit: null, value: Number.NaN}
    if (!['*', '+', '-'].includes(sign)) {
      throw new ExpectationSyntaxError(
        `expected "*", "+" or "-" after "baseline", found "${this.token()}"`,
        this.pos,
        Math.max(1, this.token().length),
        RELATIVE_FORMS,
      )
    }

    this.pos++
    this.space()
    const at = this.pos
    const amount = this.quantity(sign === '*' ? '*' : sign)
    if (!(amount.value >= 0))
      throw new ExpectationSyntaxError(
        `"${this.text.slice(at, this.pos)}" must not be negative`,
        at,
        this.pos - at,
        RELATIVE_FORMS,
      )
    const relative: RelativeThreshold =
      sign === '*'
        ? {factor: amount.value, kind: 'scale'}
        : // `± N%` is relative to the baseline, as in Keptn's `<=+10%`, also for proportions (write ± 0.05 for points).
          amount.unit === '%'
          ? {factor: 1 + (sign === '+' ? amount.value : -amount.value), kind: 'scale'}
          : {amount: sign === '+' ? amount.value : -amount.value, kind: 'offset'}
    if (sign === '*' && amount.dimension !== null && amount.unit !== 'x') {
      throw new ExpectationSyntaxError(
        `"baseline * ${this.text.slice(at, this.pos)}" scales by a plain factor`,
        at,
        this.pos - at,
        'write baseline * 1.10, or baseline + 10%',
      )
    }
    // A scale has no unit of its own; an offset keeps its unit so it is checked against the metric.
    return relative.kind === 'scale'
      ? {dimension: null, relative, unit: null, value: Number.NaN}
      : {dimension: amount.dimension, relative, unit: amount.unit, value: Number.NaN}
  }

  quantity(operator: string): Quantity {
    const at = this.pos
    const number = this.sticky(NUMBER)
    if (!number) {
      const problem = this.done()
        ? `expected a threshold after "${operator}"`
        : `expected a number with an optional unit after "${operator}", found "${this.token()}"`
      throw new ExpectationSyntaxError(
        problem,
        at,
        Math.max(1, this.token().length),
        'e.g. 200ms, 1%, 2.5x, 512MiB, 100/s or a plain number',
      )
    }

    const value = Number(number.word)
    if (!Number.isFinite(value))
      throw new ExpectationSyntaxError(`threshold "${number.word}" is too large`, at, number.word.length)
    this.pos = number.end
    this.space()
    const unit = this.sticky(UNIT)
    if (!unit) return {dimension: null, unit: null, value}
    const def = UNITS[unit.word]
    if (!def) {
      const guess = suggestUnit(unit.word)
      throw new ExpectationSyntaxError(
        `unknown unit "${unit.word}"`,
        unit.at,
        unit.word.length,
        guess ? `did you mean "${guess}"?` : `use ${Object.keys(UNITS).join(' ')} or no unit`,
      )
    }

    this.pos = unit.end
    return {dimension: def.dimension, unit: unit.word, value: value * def.factor}
  }

  private sticky(pattern: RegExp): {at: number; end: number; word: string} | null {
    pattern.lastIndex = this.pos
    const match = pattern.exec(this.text)
    if (!match || (match[0] === '' && pattern !== SPACE)) return null
    return {at: this.pos, end: this.pos + match[0].length, word: match[0]}
  }
}

/** What `gate validate` knows about a metric before anything runs. */
export interface MetricShape {
  dimension: Dimension
  type: MetricEvidence['type']
}

/** Dimension of a statistic's result: counts and rates have their own, the rest keep the metric's. */
export function statisticDimension(statistic: string, metric: Dimension): Dimension {
  if (statistic === 'count') return 'count'
  if (statistic === 'rate') return 'rate'
  return metric
}

/**
 * Why the expectation's statistic cannot be taken of a metric of this type, or null when it fits (shared by validate
 * and run).
 */
export function statisticMismatch(expr: Expectation, type: MetricEvidence['type']): string | null {
  const comparison = expr.text.slice(expr.at.operator).trim()
  if (type === 'samples') {
    if (expr.statistic !== 'value') return null
    return (
      `"${expr.metric}" has many samples, so a bare "${expr.metric}" is ambiguous: name a statistic, e.g. ` +
      `p95(${expr.metric}) ${comparison} (${STATISTIC_LIST})`
    )
  }

  if (expr.statistic === 'value') return null
  const what = type === 'proportion' ? 'a proportion (events out of trials)' : 'a single value'
  return (
    `"${expr.metric}" is ${what}, so ${expr.statistic}(${expr.metric}) does not fit: compare it bare, ` +
    `e.g. ${expr.metric} ${comparison}`
  )
}

/**
 * Static check used by `gate validate` before running: unknown metric, a statistic that does not
 * fit the metric, or a threshold whose unit cannot be compared. Returns the message, or null.
 */
export function checkExpectation(
  expr: Expectation,
  metric: MetricShape | undefined,
  knownMetrics: string[],
): string | null {
  if (metric === undefined) return unknownMetric(expr, knownMetrics)
  const mismatch = statisticMismatch(expr, metric.type)
  if (mismatch) return mismatch
  return thresholdMismatch(expr, statisticDimension(expr.statistic, metric.dimension))
}

/** Why the threshold's unit cannot be compared with a statistic of this dimension, or null when it can. */
export function thresholdMismatch(expr: Expectation, dimension: Dimension): string | null {
  // A scale of the baseline has the baseline's unit: it always fits.
  if (expr.relative?.kind === 'scale') return null
  const left = expr.text.slice(expr.at.statistic ?? expr.at.metric, expr.at.operator).trim()
  const written = expr.text.slice(expr.at.threshold).trim()
  if (!dimensionsCompatible(dimension, expr.thresholdDimension)) {
    if (expr.thresholdDimension === null) {
      return (
        `"${left}" is a ${dimension}, so its threshold needs a unit: ` +
        `write ${written}${dimension === 'duration' ? 'ms' : 'B'}, not ${written}`
      )
    }

    return `"${left}" is a ${dimension} but ${written} is a ${expr.thresholdDimension}; they cannot be compared`
  }

  // A bare 90 against a proportion means 9000%: almost always a forgotten %.
  if (
    dimension === 'proportion' &&
    expr.thresholdDimension === null &&
    !expr.relative &&
    (expr.threshold > 1 || expr.threshold < 0)
  ) {
    return `"${left}" is a proportion between 0 and 1: write ${written}% (or ${expr.threshold / 100}), not ${written}`
  }

  return null
}

function unknownMetric(expr: Expectation, knownMetrics: string[]): string {
  if (knownMetrics.length === 0) return `unknown metric "${expr.metric}": this validator reports no metrics`
  const known = `it reports ${knownMetrics.join(', ')}`
  // "latency.p95" or a bare "p95" are statistics written in the wrong place.
  const base = knownMetrics.find(
    (name) => expr.metric.startsWith(`${name}.`) && isStatistic(expr.metric.slice(name.length + 1)),
  )
  if (base)
    return `unknown metric "${expr.metric}" — did you mean ${expr.metric.slice(base.length + 1)}(${base})? (${known})`

  if (isStatistic(expr.metric))
    return `"${expr.metric}" is a statistic, not a metric — write ${expr.metric}(${knownMetrics[0]}) (${known})`
  const guess = nearest(expr.metric, knownMetrics)
  return `unknown metric "${expr.metric}"${guess ? ` — did you mean "${guess}"?` : ''} (${known})`
}

/** Whether `value operator threshold` is true. */
export function holds(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '==':
      return value === threshold
    case '!=':
      return value !== threshold
  }
}

/** Which one-sided bound speaks for the expectation: an upper bound for < and <=, a lower one for > and >=. */
export function boundSide(operator: Operator): 'lower' | 'upper' | null {
  if (operator === '<' || operator === '<=') return 'upper'
  if (operator === '>' || operator === '>=') return 'lower'
  return null
}
