import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {escapeHtml, plainLine} from '../../../src/report/escape.js'
import {coordinate, html, Markup} from '../../../src/report/html/markup.js'
import {linearScale, niceDomain} from '../../../src/report/html/scale.js'
import {
  binPosition,
  changeChart,
  confidenceChart,
  consensusChart,
  histogramChart,
  intervalChart,
  percentileChart,
  valueChart,
} from '../../../src/report/html/svg.js'
import {targetCharts} from '../../../src/report/html/target-charts.js'
import {buildReportView, renderReport} from '../../../src/report/index.js'
import {chartsRun, HOSTILE, hostileChartsRun} from '../../browser/runs.js'
import {FIXTURES, loadFixture, parseXml} from './helpers.js'

type Element = {name: string; attributes: Record<string, string>}

/**
 * Elements of a chart, parsed by a strict XML parser: anything that escaped its attribute or text would break it or add
 * elements.
 */
function elements(markup: Markup | string): Element[] {
  return parseXml(String(markup)).attributes
}

const num = (text: string | undefined) => Number(text)
/** The y of the grid line labelled `label` in a chart (tick <g><line/><text>label</text></g>). */
function tickAt(markup: Markup, label: string, axis: 'x' | 'y'): number {
  const match = new RegExp(
    `<g class="tick"><line x1="([\\d.]+)" x2="[\\d.]+" y1="([\\d.]+)" y2="[\\d.]+"/><text[^>]*>${label}</text></g>`,
  ).exec(String(markup))
  if (!match) throw new Error(`no tick ${label}`)
  return num(axis === 'x' ? match[1] : match[2])
}

describe('html`` markup', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    expect(String(html`<a title="${'"><script>'}">${"<b>&'"}</a>`)).toBe(
      '<a title="&quot;&gt;&lt;script&gt;">&lt;b&gt;&amp;&apos;</a>',
    )
  })

  it('keeps nested markup, joins lists, drops null and false, prints numbers as coordinates', () => {
    const inner = html`<b>${'x'}</b>`
    expect(String(html`${inner}${[inner, '<i>']}${null}${false}${undefined}`)).toBe('<b>x</b><b>x</b>&lt;i&gt;')
    expect([
      coordinate(1.005),
      coordinate(2 / 3),
      coordinate(-0.001),
      coordinate(Number.NaN),
      coordinate(Number.POSITIVE_INFINITY),
    ]).toEqual(['1', '0.67', '0', '0', '0'])
  })

  it('cannot be made from raw text outside html``', () => {
    expect(
      () => new (Markup as unknown as new (text: string, token: symbol) => Markup)('<script>', Symbol('markup')),
    ).toThrow(/only by html/)
  })

  it('escapes like escapeHtml for any text: a strict parser finds exactly the element it was given', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary'}), (text) => {
        const parsed = elements(html`<svg aria-label="${text}"><title>${text}</title></svg>`)
        expect(parsed.map((e) => e.name)).toEqual(['svg', 'title'])
        expect(parsed[0]!.attributes['aria-label']).toBe(plainLine(text))
      }),
    )
  })
})

describe('scales', () => {
  it('map linearly and clamp to the range', () => {
    const x = linearScale([0, 100], [10, 210])
    expect([x(0), x(50), x(100), x(150), x(-5)]).toEqual([10, 110, 210, 210, 10])
    const y = linearScale([0, 100], [200, 0])
    expect(y(25)).toBe(150)
  })

  it('pick whole ticks of 1, 2 or 5 × 10^k that cover every value, from zero when asked', () => {
    expect(niceDomain([3.1, 96.4], {fromZero: true})).toEqual({domain: [0, 100], ticks: [0, 50, 100]})
    expect(niceDomain([0.905, 0.9], {})).toEqual({domain: [0.9, 0.906], ticks: [0.9, 0.902, 0.904, 0.906]})
    expect(niceDomain([]).domain).toEqual([0, 1])
    expect(niceDomain([5], {fromZero: true}).domain).toEqual([0, 6])
    // Too close together to step through: the values themselves.
    expect(niceDomain([5e-324, 0])).toEqual({domain: [0, 5e-324], ticks: [0, 5e-324]})
    // Measured values: milli-units from −10⁶ to 10⁶, and positive magnitudes from 10⁻⁶ to 10⁹.
    const value = fc.oneof(
      fc.integer({max: 1e9, min: -1e9}).map((i) => i / 1000),
      fc.double({max: 1e9, min: 1e-6, noNaN: true}),
    )
    fc.assert(
      fc.property(fc.array(value, {maxLength: 8, minLength: 1}), fc.boolean(), (values, fromZero) => {
        const {domain, ticks} = niceDomain(values, {fromZero})
        for (const v of values)
          expect(v >= domain[0] - 1e-6 * Math.abs(domain[0]) && v <= domain[1] + 1e-6 * Math.abs(domain[1])).toBe(true)
        expect(ticks[0]).toBeCloseTo(domain[0])
        expect(ticks.length).toBeLessThanOrEqual(12)
        if (fromZero) expect(domain[0] <= 0 && domain[1] >= 0).toBe(true)
      }),
    )
  })

  it('place a value among histogram bins, in log within log-spaced bins', () => {
    expect(binPosition([0, 10, 20, 30], 15)).toBeCloseTo(1.5)
    expect(binPosition([1, 10, 100, 1000], Math.sqrt(1000))).toBeCloseTo(1.5)
    expect([binPosition([0, 10, 20], -1), binPosition([0, 10, 20], 99)]).toEqual([0, 2])
  })
})

describe('SVG charts', () => {
  const points = [
    ['p50', 0.5, 10],
    ['p90', 0.9, 20],
    ['p95', 0.95, 30],
    ['p99', 0.99, 40],
    ['max', 1, 50],
  ] as const
  const curve = (thresholds = [{label: 'p95 < 100 ms', value: 100}]) =>
    percentileChart({
      dimension: 'duration',
      label: 'latency',
      metric: 'latency',
      points: points.map(([name, level, value]) => ({interval: name === 'p95' ? [25, 35] : null, level, name, value})),
      thresholds,
    })

  it('percentile curve: one point per percentile in tail order, the threshold line at its value on the axis', () => {
    const svg = curve()
    const parsed = elements(svg)
    expect(parsed[0]!.attributes).toMatchObject({
      'aria-label': 'latency',
      'data-chart': 'percentiles',
      'data-metric': 'latency',
      'data-points': '5',
      role: 'img',
    })
    const circles = parsed.filter((e) => e.name === 'circle')
    expect(circles.map((c) => c.attributes['data-point'])).toEqual(['p50', 'p90', 'p95', 'p99', 'max'])
    const [zero, hundred] = [tickAt(svg, '0 ms', 'y'), tickAt(svg, '100 ms', 'y')]
    const threshold = parsed.find((e) => e.name === 'g' && e.attributes['data-threshold'] === 'p95 < 100 ms')
    expect(threshold).toBeDefined()
    expect(num(parsed[parsed.indexOf(threshold!) + 1]!.attributes.y1)).toBeCloseTo(hundred)
    // Values on the same axis: 50 ms halfway between 0 and 100 ms, and the points left to right.
    expect(num(circles[4]!.attributes.cy)).toBeCloseTo((zero + hundred) / 2, 1)
    const xs = circles.map((c) => num(c.attributes.cx))
    expect(xs).toEqual([...xs].sort((a, b) => a - b))
    expect(parsed.filter((e) => e.attributes['data-interval'] === 'p95')).toHaveLength(1)
  })

  it('labels of thresholds that would overlap are moved apart', () => {
    const svg = String(
      curve([
        {label: 'p95 < 100 ms', value: 100},
        {label: 'p95 <= 99 ms', value: 99},
      ]),
    )
    const labels = [...svg.matchAll(/data-threshold="[^"]+"><line[^>]*\/><text x="([\d.]+)" y="([\d.]+)"/g)].map(
      (m) => [num(m[1]), num(m[2])],
    )
    expect(labels).toHaveLength(2)
    expect(labels[0]![0]).not.toBe(labels[1]![0])
  })

  it('histogram: one bar per bin, heights in proportion to the counts, the threshold inside its bin', () => {
    const svg = histogramChart({
      counts: [1, 4, 2],
      dimension: 'duration',
      edges: [0, 1, 2, 3],
      label: 'latency histogram',
      metric: 'latency',
      thresholds: [
        {label: '< 1.5 ms', value: 1.5},
        {label: '< 9 ms', value: 9},
      ],
    })
    const parsed = elements(svg)
    expect(parsed[0]!.attributes).toMatchObject({'data-bars': '3', 'data-chart': 'histogram'})
    const bars = parsed.filter((e) => e.attributes['data-bar'] !== undefined)
    expect(bars.map((b) => num(b.attributes.height) / num(bars[1]!.attributes.height))).toEqual([0.25, 1, 0.5])
    const left = num(bars[0]!.attributes.x) - 0.5
    const width = num(bars[1]!.attributes.x) - num(bars[0]!.attributes.x)
    const thresholdX = (label: string) =>
      num(parsed[parsed.findIndex((e) => e.attributes['data-threshold'] === label) + 1]!.attributes.x1)
    expect(thresholdX('< 1.5 ms')).toBeCloseTo(left + 1.5 * width, 1)
    // Beyond the last bin: drawn at the edge, and the label says so.
    expect(thresholdX('< 9 ms →')).toBeCloseTo(left + 3 * width, 1)
  })

  it('interval: a proportion on a 0–100% axis, its interval around it, the threshold at its place', () => {
    const svg = intervalChart({
      dimension: 'proportion',
      domain: [0, 1],
      interval: [0.88, 0.92],
      label: 'hit rate',
      threshold: {label: '>= 90%', value: 0.9},
      value: 0.905,
    })
    const parsed = elements(svg)
    expect(parsed[0]!.attributes).toMatchObject({'data-chart': 'interval', 'data-points': '1'})
    const [zero, hundred] = [tickAt(svg, '0%', 'x'), tickAt(svg, '100%', 'x')]
    const at = (v: number) => zero + v * (hundred - zero)
    expect(num(parsed.find((e) => e.name === 'circle')!.attributes.cx)).toBeCloseTo(at(0.905), 1)
    const interval = parsed[parsed.findIndex((e) => e.attributes['data-interval']) + 1]!.attributes
    expect([num(interval.x1), num(interval.x2)]).toEqual([expect.closeTo(at(0.88), 1), expect.closeTo(at(0.92), 1)])
    expect(
      num(parsed[parsed.findIndex((e) => e.attributes['data-threshold'] === '>= 90%') + 1]!.attributes.x1),
    ).toBeCloseTo(at(0.9), 1)
  })

  it('single value: a bar from zero to the value, the threshold past it', () => {
    const svg = valueChart({
      dimension: 'rate',
      label: 'throughput',
      threshold: {label: '>= 1,000/s', value: 1000},
      value: 500,
    })
    const parsed = elements(svg)
    expect(parsed[0]!.attributes).toMatchObject({'data-bars': '1', 'data-chart': 'value'})
    const bar = parsed.find((e) => e.attributes['data-bar'] !== undefined)!.attributes
    const zero = tickAt(svg, '0/s', 'x')
    const thresholdX = num(parsed[parsed.findIndex((e) => e.attributes['data-threshold']) + 1]!.attributes.x1)
    expect(num(bar.x)).toBeCloseTo(zero)
    expect(num(bar.width)).toBeCloseTo((thresholdX - zero) / 2, 1)
  })

  it(
    'change vs baseline: zero is the baseline, the change and its interval on the same axis, the limit as a ' + 'line',
    () => {
      const svg = changeChart({
        allowed: {label: 'limit +10%', value: 0.1},
        change: 0.05,
        interval: [-0.02, 0.12],
        label: 'p95 vs main',
      })
      const parsed = elements(svg)
      const zero = num(parsed.find((e) => e.attributes.class === 'zero')!.attributes.x1)
      const limit = num(
        parsed[parsed.findIndex((e) => e.attributes['data-threshold'] === 'limit +10%') + 1]!.attributes.x1,
      )
      expect(num(parsed.find((e) => e.name === 'circle')!.attributes.cx)).toBeCloseTo((zero + limit) / 2, 1)
      expect(String(svg)).toMatch(/>−5%<\/text>.*>0%<\/text>.*>\+5%<\/text>/)
    },
  )

  it('P(holds): one bar per target as wide as its P, with the PASS and FAIL lines', () => {
    const rows = [
      {anchor: 'target-1', label: 'Fleet', p: 1, status: 'PASS', text: 'P 1.000'},
      {anchor: 'target-2', label: '<b>Cache</b>', p: 0.6822, status: 'INCONCLUSIVE', text: 'P 0.682'},
      {anchor: 'target-3', label: 'Dashboard', p: 0, status: 'NO_DATA', text: 'P —'},
    ] as const
    const parsed = elements(`<root>${confidenceChart(rows, 0.95)}</root>`)
    expect(parsed.find((e) => e.attributes['data-chart'] === 'confidence')!.attributes['data-bars']).toBe('3')
    expect(parsed.filter((e) => e.attributes['data-bar'] !== undefined).map((e) => e.attributes.width)).toEqual([
      '100%',
      '68.22%',
      '0%',
    ])
    expect(new Set(parsed.filter((e) => e.attributes.class === 'pass-line').map((e) => e.attributes.x1))).toEqual(
      new Set(['95%']),
    )
    expect(new Set(parsed.filter((e) => e.attributes.class === 'fail-line').map((e) => e.attributes.x1))).toEqual(
      new Set(['5%']),
    )
    expect(parsed.filter((e) => e.name === 'a').map((e) => e.attributes.href)).toEqual([
      '#target-1',
      '#target-2',
      '#target-3',
    ])
    expect(parsed.filter((e) => e.name === 'b')).toEqual([])
  })

  it('consensus: the bar to the consensus and the minimum marked', () => {
    const parsed = elements(consensusChart(0.8496, 0.85, {consensus: '0.8496', met: false, minimum: '0.8500'}))
    expect(parsed[0]!.attributes).toMatchObject({
      'aria-label': 'Consensus 0.8496, minimum 0.8500: not reached',
      class: 'consensus-chart unmet',
    })
    expect(parsed.find((e) => e.attributes['data-bar'] !== undefined)!.attributes.width).toBe('84.96%')
    expect(parsed.find((e) => e.attributes.class === 'minimum')!.attributes.x1).toBe('85%')
  })

  it('hostile labels stay text in every chart: the same elements as with a plain label', () => {
    const hostile = HOSTILE.join(' ')
    const charts = (label: string) => [
      percentileChart({
        dimension: 'duration',
        label,
        metric: label,
        points: [{level: 0.5, name: label, value: 1}],
        thresholds: [{label, value: 2}],
      }),
      histogramChart({
        counts: [1, 2],
        dimension: 'duration',
        edges: [0, 1, 2],
        label,
        metric: label,
        thresholds: [{label, value: 1}],
      }),
      intervalChart({dimension: 'ratio', interval: [1, 2], label, threshold: {label, value: 1}, value: 1.5}),
      valueChart({dimension: 'count', label, threshold: {label, value: 1}, value: 2}),
      changeChart({allowed: {label, value: 0.1}, change: 0, interval: null, label}),
      html`<root>${confidenceChart([{anchor: 'target-1', label, p: 0.5, status: 'FAIL', text: label}], 0.95)}</root>`,
    ]
    const plain = charts('plain')
    charts(hostile).forEach((chart, i) => {
      const parsed = elements(chart)
      expect(parsed.map((e) => e.name)).toEqual(elements(plain[i]!).map((e) => e.name))
      expect(parsed.find((e) => e.attributes['aria-label'])?.attributes['aria-label']).toContain(plainLine(hostile))
      expect(String(chart)).not.toMatch(/<(script|img|style)/i)
      expect(parsed.flatMap((e) => Object.keys(e.attributes)).filter((a) => a.startsWith('on'))).toEqual([])
    })
  })
})

describe('which chart fits which evidence', () => {
  const results = chartsRun()
  const view = buildReportView(results)
  const kinds = (id: string) => {
    const i = results.targets.findIndex((t) => t.id === id)
    return targetCharts(results.targets[i]!, view.targets[i]!).map((c) => `${c.kind}: ${c.title}`)
  }

  it('sampled latencies get their percentile curve and histogram; counts, proportions and changes their own', () => {
    expect(kinds('api-latency')).toEqual([
      'percentiles: latency: percentiles',
      'histogram: latency: distribution',
      'change: p95(latency) <= baseline * 1.10: change vs baseline main',
      'value: count(latency) >= 1000',
    ])
    expect(kinds('hit-rate')).toEqual([
      'interval: hit_rate >= 90%: value and 95% interval',
      'interval: hit_rate >= baseline * 0.98: value and 95% interval',
      'change: hit_rate >= baseline * 0.98: change vs baseline main',
    ])
    expect(kinds('speedup')).toEqual(['interval: mean(speedup) >= 40x: value and 95% interval'])
    expect(kinds('throughput')).toEqual(['value: throughput >= 1000/s'])
    expect(kinds('memory')).toEqual(['percentiles: rss: percentiles', 'histogram: rss: distribution'])
    expect(kinds('claimed')).toEqual(['value: refresh < 1s'])
    expect(kinds('missing')).toEqual([])
  })

  it('draws no curve for samples without percentiles and no histogram from malformed bins', () => {
    const broken = structuredClone(results)
    const i = broken.targets.findIndex((t) => t.id === 'api-latency')
    const summary = broken.targets[i]!.evidence!.metrics[0]!
    for (const key of ['p50', 'p90', 'p95', 'p99', 'max'] as const) delete summary[key]
    summary.histogram = {counts: [1, 2], edges: [0, 1]}
    const judgedOnly = broken.targets[i]!.expectations.filter((e) => e.statistic === 'count')
    broken.targets[i]!.expectations = judgedOnly
    expect(targetCharts(broken.targets[i]!, buildReportView(broken).targets[i]!).map((c) => c.kind)).toEqual(['value'])
  })

  it("a table alternative holds the chart's numbers", () => {
    const i = results.targets.findIndex((t) => t.id === 'api-latency')
    const [curve, histogram] = targetCharts(results.targets[i]!, view.targets[i]!)
    const summary = results.targets[i]!.evidence!.metrics[0]!
    expect(curve!.table.rows.map((row) => row[0])).toEqual(['p50', 'p90', 'p95', 'p99', 'max'])
    const relativeP = results.targets[i]!.expectations.find((e) => e.baseline)!.p!.toFixed(3)
    expect(curve!.table.rows[2]![3]).toBe(`< 150 ms (PASS, P = 1.000); <= 114 ms (INCONCLUSIVE, P = ${relativeP})`)
    expect(histogram!.table.rows).toHaveLength(summary.histogram!.counts.length)
    expect(histogram!.table.rows.reduce((sum, row) => sum + Number(row[2]!.replace(/,/g, '')), 0)).toBe(summary.n)
  })
})

describe('the html format', () => {
  const ELEMENTS = new Set([
    'html',
    'head',
    'meta',
    'title',
    'style',
    'body',
    'header',
    'main',
    'footer',
    'section',
    'article',
    'h1',
    'h2',
    'h3',
    'p',
    'div',
    'span',
    'strong',
    'a',
    'ul',
    'li',
    'dl',
    'dt',
    'dd',
    'figure',
    'figcaption',
    'details',
    'summary',
    'table',
    'caption',
    'thead',
    'tbody',
    'tfoot',
    'tr',
    'th',
    'td',
    'svg',
    'g',
    'line',
    'rect',
    'circle',
    'path',
    'text',
  ])

  it.each([...FIXTURES, 'charts', 'hostile-charts'])(
    '%s: one well-formed document that references nothing outside itself',
    (name) => {
      const results =
        name === 'charts' ? chartsRun() : name === 'hostile-charts' ? hostileChartsRun() : loadFixture(name)
      const page = renderReport(results, 'html')
      expect(page.startsWith('<!DOCTYPE html>\n<html lang="en">\n')).toBe(true)
      expect(page.endsWith('</html>\n')).toBe(true)
      expect(page.match(/<html[\s>]/g)).toHaveLength(1)
      const parsed = elements(page)
      expect(parsed.map((e) => e.name).filter((n) => !ELEMENTS.has(n))).toEqual([])
      for (const {attributes, name: tag} of parsed) {
        for (const [attribute, value] of Object.entries(attributes)) {
          expect(attribute, `${tag} ${attribute}`).not.toMatch(/^(on|src|srcset|action|formaction|xlink:href|style$)/i)
          expect(value, `${tag} ${attribute}`).not.toMatch(/^\s*(https?:|\/\/|javascript:|data:)/i)
        }
        if (tag === 'a') expect(attributes.href).toMatch(/^#target-\d+$/)
      }
      const style = page.slice(page.indexOf('<style>'), page.indexOf('</style>'))
      expect(style).not.toMatch(/url\(|@import|@font-face/)
      expect(parsed.find((e) => e.attributes['http-equiv'] === 'Content-Security-Policy')?.attributes.content).toMatch(
        /^default-src 'none';/,
      )
      // The count of charts matches what the page says: one confidence bar per target.
      expect(page).toContain(`data-chart="confidence" data-bars="${results.targets.length}"`)
    },
  )

  it('no FAIL, INCONCLUSIVE or NO_DATA target gets a green tick on a line that names it', () => {
    for (const name of FIXTURES) {
      const results = loadFixture(name)
      const lines = renderReport(results, 'html').split('\n')
      for (const target of results.targets.filter((t) => t.status !== 'PASS')) {
        const mentions = lines.filter((line) => line.includes(escapeHtml(target.title).slice(0, 24)))
        expect(mentions.length, target.id).toBeGreaterThan(0)
        for (const line of mentions) expect(line).not.toMatch(/✅|✓|✔/)
      }
    }
  })

  it('puts the decision, the rule and the consensus against its minimum at the top', () => {
    const page = renderReport(loadFixture('block-required-fail'), 'html')
    const top = page.slice(page.indexOf('<body>'), page.indexOf('<main>'))
    expect(top).toMatch(/<p class="outcome">BLOCK<\/p>\n<p>decided by rule 1: /)
    expect(top).toContain('<strong>Consensus 0.69</strong> (minimum 0.85, not reached)')
    expect(top).toContain('data-chart="consensus"')
  })
})
