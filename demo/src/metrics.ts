/** Prometheus text exposition format 0.0.4, the Content-Type every scraper accepts. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Cumulative-bucket histogram, as Prometheus expects: counts[i] holds observations <= bounds[i]. */
export class Histogram {
  readonly bounds: readonly number[]
  private readonly counts: number[]
  private total = 0
  private observations = 0

  constructor(bounds: number[]) {
    this.bounds = [...bounds].sort((a, b) => a - b)
    this.counts = this.bounds.map(() => 0)
  }

  observe(value: number): void {
    for (let i = this.bounds.length - 1; i >= 0 && value <= this.bounds[i]!; i--) this.counts[i]!++
    this.total += value
    this.observations++
  }

  get count(): number {
    return this.observations
  }

  get sum(): number {
    return this.total
  }

  /** [upper bound, cumulative count] pairs, ending with +Inf. */
  buckets(): Array<[number, number]> {
    return [
      ...this.bounds.map((bound, i): [number, number] => [bound, this.counts[i]!]),
      [Number.POSITIVE_INFINITY, this.observations],
    ]
  }
}

type Family =
  | {name: string; help: string; type: 'counter' | 'gauge'; read: () => number}
  | {name: string; help: string; type: 'histogram'; histogram: Histogram}

/** Metrics are read from the live objects at scrape time, so no value is kept twice. */
export class MetricsRegistry {
  private readonly families: Family[] = []

  counter(name: string, help: string, read: () => number): this {
    return this.add({help, name, read, type: 'counter'})
  }

  gauge(name: string, help: string, read: () => number): this {
    return this.add({help, name, read, type: 'gauge'})
  }

  histogram(name: string, help: string, histogram: Histogram): this {
    return this.add({help, histogram, name, type: 'histogram'})
  }

  render(): string {
    const lines: string[] = []
    for (const family of this.families) {
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`)
      if (family.type !== 'histogram') {
        lines.push(`${family.name} ${formatNumber(family.read())}`)
        continue
      }

      const {histogram, name} = family
      for (const [bound, count] of histogram.buckets())
        lines.push(`${name}_bucket{le="${formatNumber(bound)}"} ${count}`)
      lines.push(`${name}_sum ${formatNumber(histogram.sum)}`, `${name}_count ${histogram.count}`)
    }

    return `${lines.join('\n')}\n`
  }

  private add(family: Family): this {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(family.name)) throw new Error(`invalid metric name ${family.name}`)
    if (this.families.some((f) => f.name === family.name)) throw new Error(`metric ${family.name} registered twice`)
    this.families.push(family)
    return this
  }
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')
}
