// End to end: the built CLI writes the HTML report through the formatter registry, and the page opens cleanly in
// Chromium.
import {readdirSync} from 'node:fs'
import path from 'node:path'

import type {Browser} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeProject, ROOT, runGate} from '../integration/helpers.js'
import {findChromium, inspect, launch, openReport, screenshot} from './chromium.js'

const CHROMIUM = findChromium()

describe.skipIf(!CHROMIUM)('gate writes an HTML report that opens in Chromium', () => {
  let browser: Browser
  const projects: Array<{cleanup(): void}> = []
  const project = (gates: Record<string, string>) => {
    const p = makeProject(gates)
    projects.push(p)
    return p.dir
  }

  beforeAll(async () => {
    browser = await launch(CHROMIUM!)
  })

  afterAll(async () => {
    await browser?.close()
    for (const p of projects) p.cleanup()
  })

  async function open(file: string, name: string) {
    const {events, page} = await openReport(browser, file)
    try {
      await screenshot(page, name)
      return {events, outcome: await page.textContent('.outcome'), report: await inspect(page)}
    } finally {
      await page.context().close()
    }
  }

  it('gate report --format html --out DIR re-renders a saved results file', async () => {
    const dir = project({})
    const saved = path.join(ROOT, 'test/fixtures/results/block-required-fail.json')
    const r = await runGate(['report', saved, '--format', 'html', '--out', 'out'], {cwd: dir})
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.code).toBe(1)
    expect(readdirSync(path.join(dir, 'out'))).toEqual(['phase-2-2025-10-10T14-05-12Z.html'])
    const {events, outcome, report} = await open(
      path.join(dir, 'out', 'phase-2-2025-10-10T14-05-12Z.html'),
      'cli-report',
    )
    expect(events).toEqual({console: [], dialogs: [], pageErrors: [], requests: []})
    expect(outcome).toBe('BLOCK')
    expect(report.overflow).toEqual([])
    expect(report.charts.filter((c) => c.chart === 'percentiles').length).toBeGreaterThan(0)
  })

  it(
    'gate check --format html,md --out report/ writes the page beside the other formats, with the charts of what ' +
      'it measured',
    async () => {
      const dir = project({
        ok: `version: 1
title: "Release <b>1.0</b>"
targets:
  - id: node-runs
    title: node -e 0 runs cleanly
    validator: command
    with: { run: "node -e 0", runs: 4, warmup: 0 }
    expect: [ "max(duration) < 1h", "failures == 0" ]
    required: true
`,
      })
      const r = await runGate(['check', 'ok', '--format', 'html,md', '--out', 'report/'], {cwd: dir})
      expect(r.code).toBe(0)
      const files = readdirSync(path.join(dir, 'report')).sort()
      expect(files.map((f) => path.extname(f))).toEqual(['.html', '.md'])
      const {events, outcome, report} = await open(path.join(dir, 'report', files[0]!), 'cli-check')
      expect(events).toEqual({console: [], dialogs: [], pageErrors: [], requests: []})
      expect(outcome).toBe('PROCEED')
      expect(report.text).toContain('Gate report: Release <b>1.0</b>')
      expect(report.overflow).toEqual([])
      // Four timed runs: their percentiles and their histogram, and the failure count as a single value.
      expect(
        report.charts
          .filter((c) => c.target === 'target-1')
          .map((c) => c.chart)
          .sort(),
      ).toEqual(['histogram', 'percentiles', 'value'])
    },
  )
})
