// The HTML report as a reviewer sees it, in headless Chromium: decided runs of every outcome, every kind of chart,
// many targets, long names and hostile text. One browser for the file; every page gets a fresh context.
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {Browser} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {MetricSummary, TargetVerdict} from '../../src/engine/types.js'
import {renderReport} from '../../src/report/index.js'
import type {RunResults} from '../../src/results/types.js'
import {
  type ChartSeen,
  findChromium,
  inspect,
  launch,
  luminance,
  openReport,
  type OpenOptions,
  screenshot,
} from './chromium.js'
import {chartsRun, HOSTILE, hostileChartsRun, loadFixture, longNamesRun, manyTargetsRun} from './runs.js'

const CHROMIUM = findChromium()

const RUNS: Record<string, () => RunResults> = {
  block: () => loadFixture('block-required-fail'),
  charts: chartsRun,
  hostile: () => loadFixture('hostile'),
  'hostile-charts': hostileChartsRun,
  inconclusive: () => loadFixture('inconclusive'),
  'long-names': longNamesRun,
  'many-targets': () => manyTargetsRun(40),
  'no-data': () => loadFixture('no-data'),
  proceed: () => loadFixture('proceed'),
}

const FULL_PAGE = new Set(['charts', 'hostile-charts', 'long-names', 'proceed'])

type ChartShape = Pick<ChartSeen, 'chart' | 'metric' | 'declaredBars' | 'declaredPoints'>

/** The charts a target's evidence calls for, read from the results independently of the renderer. */
function chartsFor(target: TargetVerdict): ChartShape[] {
  if (!target.evidence) return []
  const metrics = new Map(target.evidence.metrics.map((m) => [m.name, m]))
  const distribution = (m: MetricSummary | undefined): m is MetricSummary =>
    m?.type === 'samples' && (m.dimension === 'duration' || m.dimension === 'size')
  const onCurve = (e: TargetVerdict['expectations'][number]) =>
    distribution(metrics.get(e.metric)) &&
    e.dimension === metrics.get(e.metric)!.dimension &&
    /^(min|max|median|p\d+(\.\d+)?)$/.test(e.statistic)
  const shapes: ChartShape[] = []
  for (const m of target.evidence.metrics) {
    if (!distribution(m) || !target.expectations.some((e) => e.metric === m.name)) continue
    const judged = target.expectations
      .filter((e) => e.metric === m.name && onCurve(e))
      .map((e) => (e.statistic === 'median' ? 'p50' : e.statistic))
    const points = new Set([
      ...(['p50', 'p90', 'p95', 'p99', 'max'] as const).filter((k) => m[k] !== undefined),
      ...judged,
    ])
    if (points.size > 0)
      shapes.push({chart: 'percentiles', declaredBars: null, declaredPoints: points.size, metric: m.name})
    if (m.histogram)
      shapes.push({chart: 'histogram', declaredBars: m.histogram.counts.length, declaredPoints: null, metric: m.name})
  }
  for (const e of target.expectations) {
    if (e.value === null) continue
    if (!onCurve(e))
      shapes.push(
        e.interval95 || e.dimension === 'proportion'
          ? {chart: 'interval', declaredBars: null, declaredPoints: 1, metric: null}
          : {chart: 'value', declaredBars: 1, declaredPoints: null, metric: null},
      )
    if (e.baseline && e.baseline.change !== null)
      shapes.push({chart: 'change', declaredBars: null, declaredPoints: 1, metric: null})
  }
  return shapes
}

const order = (a: ChartShape, b: ChartShape) => `${a.chart} ${a.metric}`.localeCompare(`${b.chart} ${b.metric}`)

describe.skipIf(!CHROMIUM)('the HTML report in Chromium', () => {
  let browser: Browser
  let dir: string
  const files = new Map<string, {file: string; results: RunResults}>()

  beforeAll(async () => {
    browser = await launch(CHROMIUM!)
    dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-html-'))
    for (const [name, run] of Object.entries(RUNS)) {
      const results = run()
      const file = path.join(dir, `${name}.html`)
      writeFileSync(file, renderReport(results, 'html'))
      files.set(name, {file, results})
    }
  })

  afterAll(async () => {
    await browser?.close()
    if (dir) rmSync(dir, {force: true, recursive: true})
  })

  async function view(name: string, options: OpenOptions = {}, keepScreenshot = true) {
    const {file, results} = files.get(name)!
    const {events, page} = await openReport(browser, file, options)
    try {
      const shot = [
        name,
        options.colorScheme === 'dark' && 'dark',
        options.media === 'print' && 'print',
        options.width && `${options.width}px`,
      ]
        .filter(Boolean)
        .join('-')
      // Whole pages for the runs that show every kind of chart, the first screen (decision and confidence bars) for the
      // rest: encoding tall PNGs is slow.
      return {
        events,
        outcome: await page.textContent('.outcome'),
        page: await inspect(page),
        results,
        shot: keepScreenshot ? await screenshot(page, shot, FULL_PAGE.has(name) && !options.width) : null,
      }
    } finally {
      await page.context().close()
    }
  }

  it.each(Object.keys(RUNS))(
    '%s: loads nothing, logs nothing, shows every chart with its marks, and keeps text in its boxes',
    async (name) => {
      const {events, outcome, page, results, shot} = await view(name)
      expect(events).toEqual({console: [], dialogs: [], pageErrors: [], requests: []})
      // Nothing that runs or loads: no script, no on* handler, no element with a source or an outside link.
      expect({eventAttributes: page.eventAttributes, loaders: page.loaders, scripts: page.scripts}).toEqual({
        eventAttributes: [],
        loaders: [],
        scripts: 0,
      })
      expect(outcome).toBe(results.decision.outcome)
      expect(page.overflow).toEqual([])

      // Every chart says how many marks it has, has them, and is an image with a text label.
      for (const chart of page.charts) {
        expect(chart, `${chart.chart} in ${chart.target}`).toMatchObject({labelled: true, visible: true})
        if (chart.declaredBars !== null) expect(chart.bars).toBe(chart.declaredBars)
        if (chart.declaredPoints !== null) expect(chart.points).toBe(chart.declaredPoints)
        // Target charts come with a table of the same numbers (a row per bar or point), closed on screen.
        if (chart.target)
          expect(chart).toMatchObject({
            tableRows:
              chart.chart === 'histogram'
                ? chart.bars
                : chart.chart === 'percentiles'
                  ? chart.points
                  : expect.any(Number),
            tableShown: false,
          })
      }

      // Overview: the consensus bar and one bar per target, as long as its P(holds), with the PASS and FAIL lines.
      const overview = page.charts.filter((c) => c.target === null)
      expect(overview.map((c) => [c.chart, c.declaredBars])).toEqual([
        ['consensus', 1],
        ['confidence', results.targets.length],
      ])
      expect(page.confidenceRows.map((r) => r.status)).toEqual(results.targets.map((t) => t.status))
      page.confidenceRows.forEach((row, i) => {
        expect(row.bar).toBeCloseTo(results.targets[i]!.p ?? 0, 2)
        expect(row.pass).toBeCloseTo(results.settings.confidence, 2)
        expect(row.fail).toBeCloseTo(1 - results.settings.confidence, 2)
      })

      // Per target: exactly the charts its evidence calls for, none for a target without data.
      results.targets.forEach((target, i) => {
        const seen = page.charts
          .filter((c) => c.target === `target-${i + 1}`)
          .map(({chart, declaredBars, declaredPoints, metric}) => ({chart, declaredBars, declaredPoints, metric}))
        expect(seen.sort(order), target.id).toEqual(chartsFor(target).sort(order))
      })
      if (name === 'charts')
        expect([...new Set(page.charts.map((c) => c.chart))].sort()).toEqual([
          'change',
          'confidence',
          'consensus',
          'histogram',
          'interval',
          'percentiles',
          'value',
        ])

      // Hostile text is shown as the text it is (bidi controls are dropped).
      if (name === 'hostile')
        for (const text of ['<script>alert(1)</script>', 'WASM | speedup `x` <b>bold</b> [a](b)'])
          expect(page.text).toContain(text)
      if (name === 'hostile-charts')
        for (const text of HOSTILE.filter((t) => !t.startsWith('\u202e'))) expect(page.text).toContain(text)
      expect(statSync(shot!).size).toBeGreaterThan(10_000)
    },
  )

  it('the checks catch a page that loads, runs or overflows something', async () => {
    const html = readFileSync(files.get('proceed')!.file, 'utf8')
    const broken = html.replace(
      '<main>',
      '<main><img src="http://127.0.0.1:9/pixel.png" alt=""/><script>alert(1)</script><div style="width: 100px; ' +
        'overflow-wrap: normal">unbreakable_word_that_is_far_wider_than_one_hundred_pixels</div>',
    )
    const uncovered = broken.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')
    for (const [name, text] of [
      ['broken', broken],
      ['broken-no-csp', uncovered],
    ] as const) {
      const file = path.join(dir, `${name}.html`)
      writeFileSync(file, text)
      files.set(name, {file, results: files.get('proceed')!.results})
    }
    // With the report's CSP, the browser refuses the script and the image, and says so on the console.
    const guarded = await view('broken', {}, false)
    expect(guarded.events.console.join('\n')).toMatch(/Content Security Policy/)
    expect(guarded.events.dialogs).toEqual([])
    expect(guarded.page).toMatchObject({loaders: [expect.stringContaining('<img')], scripts: 1})
    expect(guarded.page.overflow).toEqual([expect.stringContaining('unbreakable_word')])
    // Without it, the request and the dialog are caught.
    const open = await view('broken-no-csp', {}, false)
    expect(open.events.requests).toEqual(expect.arrayContaining(['http://127.0.0.1:9/pixel.png']))
    expect(open.events.dialogs).toEqual(['alert: 1'])
  })

  it('dark mode has light text on a dark page, and everything still fits', async () => {
    const {events, page} = await view('charts', {colorScheme: 'dark'})
    expect(events).toEqual({console: [], dialogs: [], pageErrors: [], requests: []})
    expect(luminance(page.background)).toBeLessThan(0.05)
    expect(luminance(page.color)).toBeGreaterThan(0.6)
    expect(page.overflow).toEqual([])
  })

  it('printed from a dark-mode browser, the page is dark on white and the chart tables are printed too', async () => {
    const {page} = await view('charts', {colorScheme: 'dark', media: 'print'})
    expect(page.background).toEqual([255, 255, 255])
    expect(luminance(page.color)).toBeLessThan(0.05)
    expect(page.overflow).toEqual([])
    // Closed <details> hold the chart tables on screen; on paper they are part of the page.
    const charts = page.charts.filter((c) => c.target !== null)
    expect(charts.length).toBeGreaterThan(5)
    expect(charts.filter((c) => !c.tableShown).map((c) => `${c.chart} in ${c.target}`)).toEqual([])
  })

  it.each(['long-names', 'hostile-charts'])(
    '%s: on a 400 px wide screen long names wrap inside their boxes',
    async (name) => {
      const {events, page} = await view(name, {width: 400})
      expect(events.console).toEqual([])
      expect(page.overflow).toEqual([])
    },
  )
})
