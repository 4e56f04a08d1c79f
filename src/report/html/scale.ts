// Axes for the report's charts: a linear map from data to pixels and tick values people read easily.

export interface Scale {
  (x: number): number
  readonly domain: readonly [number, number]
  readonly range: readonly [number, number]
}

/** Maps [domain] onto [range] linearly; values outside are clamped so a mark never leaves its plot. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain
  const [r0, r1] = range
  const span = d1 - d0 || 1
  const scale = (x: number) =>
    r0 + ((Math.min(Math.max(x, Math.min(d0, d1)), Math.max(d0, d1)) - d0) / span) * (r1 - r0)
  return Object.assign(scale, {domain, range})
}

/** A step of 1, 2 or 5 × 10^k that splits [low, high] into about `count` parts. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count)
  const power = 10 ** Math.floor(Math.log10(raw))
  const unit = raw / power
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power
}

/**
 * The smallest range of whole ticks that holds every value, from zero when `fromZero` (bars and latencies start at 0),
 * with its ticks. A single value or none gets a range around it so that nothing divides by zero.
 */
export function niceDomain(
  values: readonly number[],
  options: {fromZero?: boolean; count?: number} = {},
): {domain: [number, number]; ticks: number[]} {
  const finite = values.filter(Number.isFinite)
  let low = Math.min(...finite, ...(options.fromZero ? [0] : []))
  let high = Math.max(...finite, ...(options.fromZero ? [0] : []))
  if (finite.length === 0 && !options.fromZero) [low, high] = [0, 1]
  if (!(high > low)) [low, high] = low === 0 ? [0, 1] : [Math.min(0, low * 2), Math.max(0, high * 2)]
  const step = niceStep(high - low, options.count ?? 4)
  // A span too small for floating point to step through (denormals): the values themselves are the range.
  if (!(step > 0) || !Number.isFinite(step) || low + step === low) return {domain: [low, high], ticks: [low, high]}
  const start = Math.floor(low / step) * step
  const end = Math.ceil(high / step) * step
  const ticks: number[] = []
  // Bounded: at most count + 2 steps between start and end.
  for (let i = 0; start + i * step <= end + step * 1e-9 && i < 50; i++)
    ticks.push(Number((start + i * step).toPrecision(12)))
  return {domain: [start, end], ticks}
}
