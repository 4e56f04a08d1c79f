import type {Dimension} from './types.js'

interface UnitDef {
  dimension: Dimension
  /** Multiply by this to get the canonical unit (ms, bytes, 0..1, plain, per second). */
  factor: number
}

/** Every unit a gate file may write, and how it converts (gate-file.md "Expectations"). */
export const UNITS: Readonly<Record<string, UnitDef>> = {
  ns: {dimension: 'duration', factor: 1e-6},
  us: {dimension: 'duration', factor: 1e-3},
  µs: {dimension: 'duration', factor: 1e-3},
  ms: {dimension: 'duration', factor: 1},
  s: {dimension: 'duration', factor: 1000},
  m: {dimension: 'duration', factor: 60_000},
  h: {dimension: 'duration', factor: 3_600_000},
  B: {dimension: 'size', factor: 1},
  KB: {dimension: 'size', factor: 1e3},
  MB: {dimension: 'size', factor: 1e6},
  GB: {dimension: 'size', factor: 1e9},
  KiB: {dimension: 'size', factor: 1024},
  MiB: {dimension: 'size', factor: 1024 ** 2},
  GiB: {dimension: 'size', factor: 1024 ** 3},
  '%': {dimension: 'proportion', factor: 0.01},
  x: {dimension: 'ratio', factor: 1},
  '/s': {dimension: 'rate', factor: 1},
}

export interface Quantity {
  value: number
  /** null for a bare number: it fits counts, ratios and proportions, never durations or sizes. */
  dimension: Dimension | null
}

const QUANTITY = /^\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([a-zA-Zµ%/]+)?\s*$/

/** Parses "100ms", "90%", "40x", "1.5GiB", "250/s" or a bare number; null when it is not a quantity. */
export function parseQuantity(text: string): Quantity | null {
  const match = QUANTITY.exec(text)
  if (!match) return null
  const value = Number(match[1])
  const unit = match[2]
  if (unit === undefined) return {dimension: null, value}
  const def = UNITS[unit]
  if (!def) return null
  return {dimension: def.dimension, value: value * def.factor}
}

/** True when a threshold of dimension `threshold` can be compared with a metric of dimension `metric`. */
export function dimensionsCompatible(metric: Dimension, threshold: Dimension | null): boolean {
  if (threshold === null) return metric !== 'duration' && metric !== 'size'
  if (metric === threshold) return true
  // A ratio written as a percentage ("speedup >= 4000%") is unusual but exact; proportions likewise as plain ratios.
  return (metric === 'ratio' && threshold === 'proportion') || (metric === 'proportion' && threshold === 'ratio')
}

/** Parses a duration option such as "2m", "20s", "500ms" into milliseconds; null when it is not one. */
export function parseDuration(text: string | number): number | null {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null
  const q = parseQuantity(text)
  if (!q || q.dimension !== 'duration' || q.value < 0) return null
  return q.value
}

/** Formats a canonical value for people: 41.2 ms, 1.5 s, 92.3%, 52.1x, 12.5 MiB, 1,234/s. */
export function formatValue(value: number, dimension: Dimension): string {
  if (!Number.isFinite(value)) return String(value)
  switch (dimension) {
    case 'duration': {
      const abs = Math.abs(value)
      if (abs >= 60_000) return `${round(value / 60_000)} min`
      if (abs >= 1000) return `${round(value / 1000)} s`
      if (abs >= 1 || abs === 0) return `${round(value)} ms`
      if (abs >= 1e-3) return `${round(value * 1000)} µs`
      return `${round(value * 1e6)} ns`
    }
    case 'size': {
      const abs = Math.abs(value)
      if (abs >= 1024 ** 3) return `${round(value / 1024 ** 3)} GiB`
      if (abs >= 1024 ** 2) return `${round(value / 1024 ** 2)} MiB`
      if (abs >= 1024) return `${round(value / 1024)} KiB`
      return `${round(value)} B`
    }
    case 'proportion':
      return `${round(value * 100)}%`
    case 'ratio':
      return `${round(value)}x`
    case 'rate':
      return `${round(value)}/s`
    case 'count':
      return `${round(value)}`
  }
}

/** Three significant digits, but never scientific notation for ordinary magnitudes. */
function round(value: number): string {
  if (value === 0) return '0'
  const abs = Math.abs(value)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  return grouped(value, digits)
}

/**
 * en-US digit grouping, "12,345.6", rounded to at most `maxFractionDigits` (3, as Intl) with trailing zeros dropped —
 * what toLocaleString('en-US') gives, without Intl: the first Intl formatter costs a process some 20 ms of ICU set-up.
 */
export function grouped(value: number, maxFractionDigits = 3): string {
  if (!Number.isFinite(value) || Math.abs(value) >= 1e21) return value.toLocaleString('en-US')
  const [whole = '', fraction] = String(Number(Math.abs(value).toFixed(maxFractionDigits))).split('.')
  // Intl keeps the sign of a negative value that rounds to zero: "-0".
  const sign = value < 0 || Object.is(value, -0) ? '-' : ''
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`
}
