import {describe, expect, it} from 'vitest'

import {consensusOf, decide} from '../../../src/engine/decision.js'
import {UserError} from '../../../src/errors.js'
import {renderComment} from '../../../src/github/comment-body.js'
import {
  escapeHtml,
  escapeMarkdown,
  escapeMarkdownLine,
  escapeXml,
  plainLine,
  renderReport,
  REPORT_FORMATS,
  type ReportFormat,
  reportFileName,
} from '../../../src/report/index.js'
import {score} from '../../../src/report/numbers.js'
import type {RunResults} from '../../../src/results/types.js'
import {copy, deepFreeze, FIXTURES, loadFixture, parseXml, raggedTables, sectionTable} from './helpers.js'

const ESCAPE: Record<ReportFormat, (text: string) => string> = {
  checklist: escapeMarkdownLine,
  html: escapeHtml,
  json: (t) => t,
  junit: escapeXml,
  md: escapeMarkdown,
  terminal: plainLine,
}
/** A recognisable start of a target's title as the format prints it (tables and terminals clip the rest). */
const titleIn = (format: ReportFormat, title: string) => ESCAPE[format](title).slice(0, 24)
const GREEN_TICKS = /✅|✓|✔/

describe.each(FIXTURES)('%s', (name) => {
  const results = deepFreeze(loadFixture(name))
  const render = (format: ReportFormat) => renderReport(results, format)

  it('renders in every format without touching the results', () => {
    for (const format of REPORT_FORMATS) expect(render(format).length).toBeGreaterThan(100)
  })

  it('md names the decision, the deciding rule, the consensus and every target', () => {
    const md = render('md')
    expect(md).toContain(`**${results.decision.outcome}**, decided by rule ${results.decision.rule}`)
    const consensus = score(results.consensus, results.settings.minConsensus)
    const minimum = score(results.settings.minConsensus, results.consensus)
    expect(md).toContain(`**Consensus:** ${consensus} (minimum ${minimum}`)
    for (const target of results.targets) expect(md).toContain(titleIn('md', target.title))
  })

  it('md tables keep one cell per column in every row', () => {
    expect(raggedTables(render('md'))).toEqual([])
  })

  it('md confidence breakdown contributions add up to the consensus', () => {
    const rows = sectionTable(render('md'), 'Confidence breakdown')
    const contributions = rows.filter((row) => !row[0]!.includes('Consensus')).map((row) => Number(row.at(-1)))
    expect(contributions).toHaveLength(results.targets.length)
    const sum = contributions.reduce((a, b) => a + b, 0)
    expect(Math.abs(sum - results.consensus)).toBeLessThanOrEqual(0.0005 * (contributions.length + 1))
  })

  it('md lists the four gate conditions and marks the deciding one', () => {
    const rows = sectionTable(render('md'), 'Gate conditions')
    expect(rows.map((row) => row[0])).toEqual(['1', '2', '3', '4'])
    expect(rows.filter((row) => row[4] === '**deciding rule**').map((row) => row[0])).toEqual([
      String(results.decision.rule),
    ])
    // The deciding rule is the first that does not hold (rule 4 holds exactly when it decides).
    const decided = rows.find((row) => row[0] === String(results.decision.rule))!
    expect(decided[2]).toBe(results.decision.rule === 4 ? '✓' : '✗')
  })

  it('no FAIL, INCONCLUSIVE or NO_DATA target gets a green tick next to it, in any format', () => {
    for (const format of REPORT_FORMATS) {
      const lines = render(format).split('\n')
      for (const target of results.targets.filter((t) => t.status !== 'PASS')) {
        const mentions = lines.filter((line) => line.includes(titleIn(format, target.title)))
        if (format !== 'json') expect(mentions.length, `${format} never mentions ${target.id}`).toBeGreaterThan(0)
        for (const line of mentions)
          expect(line, `${format}: ${target.status} target with a tick`).not.toMatch(GREEN_TICKS)
      }
    }
  })

  it('junit is well-formed, with one testcase per target plus the decision and its properties', () => {
    const elements = parseXml(render('junit')).attributes
    const testcases = elements.filter((e) => e.name === 'testcase')
    expect(testcases.map((t) => t.attributes.name)).toEqual([
      ...results.targets
        .map((t) => plainLine(`${t.id}: ${t.title}`).slice(0, 300))
        .map((n) => expect.stringContaining(n)),
      'gate decision',
    ])
    const properties = Object.fromEntries(
      elements.filter((e) => e.name === 'property').map((e) => [e.attributes.name, e.attributes.value]),
    )
    expect(properties).toMatchObject({
      'phasegate.consensus': String(results.consensus),
      'phasegate.decision': results.decision.outcome,
      'phasegate.interrupted': String(results.interrupted),
      'phasegate.rule': String(results.decision.rule),
    })
    expect(properties['phasegate.reason']).toContain(`decided by rule ${results.decision.rule}`)
  })

  it('junit: FAIL is a failure, NO_DATA an error, INCONCLUSIVE skipped, and a gate that does not PROCEED fails', () => {
    const xml = render('junit')
    const count = (status: string) => results.targets.filter((t) => t.status === status).length
    const suite = parseXml(xml).attributes.find((e) => e.name === 'testsuite')!.attributes
    expect(suite).toMatchObject({
      errors: String(count('NO_DATA')),
      failures: String(count('FAIL') + (results.decision.outcome === 'PROCEED' ? 0 : 1)),
      skipped: String(count('INCONCLUSIVE')),
      tests: String(results.targets.length + 1),
    })
    expect(xml.match(/<failure type="FAIL"/g)?.length ?? 0).toBe(count('FAIL'))
    expect(xml.match(/<error type="NO_DATA"/g)?.length ?? 0).toBe(count('NO_DATA'))
    expect(xml.match(/<skipped message="INCONCLUSIVE/g)?.length ?? 0).toBe(count('INCONCLUSIVE'))
  })

  it('terminal shows every target and the decision line with the consensus', () => {
    const text = render('terminal')
    for (const target of results.targets) expect(text).toContain(titleIn('terminal', target.title).slice(0, 20))
    expect(text).toContain(`${results.decision.outcome} — decided by rule ${results.decision.rule}`)
    expect(text).toMatch(/consensus \d\.\d+ \(min 0\.85\)\n/)
    expect(text).not.toContain('\u001b[')
  })

  it('json is the results object itself', () => {
    expect(JSON.parse(render('json'))).toEqual(results)
  })

  it('no line of any format starts with user text that a CI log could take for a command', () => {
    for (const format of ['md', 'junit', 'terminal'] as const) {
      for (const line of render(format).split('\n')) expect(line).not.toMatch(/^\s*::/)
    }
  })
})

describe('report details', () => {
  it('an interrupted run says so before anything else, in md and terminal', () => {
    const results = loadFixture('no-data')
    expect(results.interrupted).toBe(true)
    expect(renderReport(results, 'md').split('\n').slice(0, 3).join('\n')).toMatch(/INTERRUPTED/)
    expect(renderReport(results, 'terminal').split('\n')[1]).toMatch(/^INTERRUPTED/)
    expect(renderReport(loadFixture('proceed'), 'md')).not.toMatch(/INTERRUPTED/)
  })

  it('a NO_DATA target shows its reason in the analysis and the risks', () => {
    const md = renderReport(loadFixture('no-data'), 'md')
    expect(md).toContain(
      '**Evidence:** none. **NO_DATA:** validator dashboard threw: connect ECONNREFUSED 127.0.0.1:41873',
    )
    const risk = sectionTable(md, 'Risks').find((row) => row[0]!.startsWith('Dashboard'))
    expect(risk?.[2]).toMatch(/^no data: .*ECONNREFUSED/)
    expect(risk?.slice(3, 6)).toEqual([
      'computed',
      'unknown: nothing was measured',
      'a required target without data blocks the gate (rule 1)',
    ])
  })

  it('a claim is called a risk: never PASS or FAIL, and weighed at most 0.65 in the consensus', () => {
    const risks = sectionTable(renderReport(loadFixture('claim-only'), 'md'), 'Risks')
    expect(risks).toHaveLength(1)
    expect(risks[0]!.slice(1, 6)).toEqual([
      '⚠️ INCONCLUSIVE',
      expect.stringMatching(/^claim only: a stated number from /),
      'computed',
      'unknown until measured',
      expect.stringMatching(
        /a claim is never PASS or FAIL, and its quality 0\.30 weighs it at most 0\.650 in the consensus/,
      ),
    ])
  })

  it('an artifact is called a risk even when it passes', () => {
    const risks = sectionTable(renderReport(loadFixture('block-required-fail'), 'md'), 'Risks')
    expect(risks.map((row) => row[2])).toEqual([expect.stringMatching(/^artifact only: read from k6 summary/)])
  })

  it('bottlenecks: the expectations past their thresholds, by weight × shortfall, with what limits them', () => {
    const rows = sectionTable(renderReport(loadFixture('block-required-fail'), 'md'), 'Bottlenecks')
    expect(rows).toEqual([
      [
        expect.stringMatching(/^❌ Fleet manager/),
        'p95(allocation\\_latency) &lt; 100ms',
        'p95(allocation\\_latency) 132 ms vs &lt; 100 ms',
        '0.96',
        'weight 3 × 32.0%',
        expect.stringMatching(/^the tail: the median 66 ms is within &lt; 100 ms, the p95 132 ms is not; 95% interval/),
      ],
    ])
    const severities = sectionTable(renderReport(loadFixture('hostile'), 'md'), 'Bottlenecks').map((row) =>
      Number(row[3]),
    )
    expect(severities).toEqual([...severities].sort((a, b) => b - a))
  })

  it('improvements before the next gate come from decision.improvements', () => {
    const md = renderReport(loadFixture('proceed'), 'md')
    const section = md.slice(md.indexOf('## Improvements before the next gate'), md.indexOf('## Confidence breakdown'))
    expect(section).toMatch(
      /- ⚠️ \*\*Cache — L1 hit rate of 90% or more\*\* \(INCONCLUSIVE\): hit\\_rate 90\.5% vs &gt;= 90%/,
    )
  })

  it('an improvement finds its target even when the id is too long to print whole', () => {
    const results = structuredClone(loadFixture('proceed')) as RunResults
    const id = 'c'.repeat(500)
    results.targets[4]!.id = id
    results.decision = {...results.decision, improvements: [id]}
    const md = renderReport(results, 'md')
    expect(md.slice(md.indexOf('## Improvements before the next gate'))).toMatch(
      /^- ⚠️ \*\*Cache — L1 hit rate of 90% or more\*\* \(INCONCLUSIVE\)/m,
    )
  })

  it('terminal lists the next steps that would raise the consensus most, with their gain', () => {
    const text = renderReport(loadFixture('block-required-fail'), 'terminal')
    expect(text).toContain(
      '  NEXT STEPS (by consensus gain)\n  1. +0.285  Fleet manager — 1000+ agents, allocatio…: ' +
        'bring p95(allocation_latency) from 132 ms to < 100 ms\n',
    )
    expect(renderReport(loadFixture('proceed'), 'terminal')).toMatch(/NEXT STEPS[^\n]*\n {2}1\. \+0\.\d{3} {2}Cache/)
  })

  it('terminal colours only when asked', () => {
    const results = loadFixture('block-required-fail')
    const coloured = renderReport(results, 'terminal', {color: true})
    expect(coloured).toContain('\u001b[31m✗ FAIL')
    expect(coloured).toContain('\u001b[31mBLOCK\u001b[0m — decided by rule 1')
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(renderReport(results, 'terminal', {color: false}))
  })

  it('terminal clips long names with … and keeps the columns aligned', () => {
    const lines = renderReport(loadFixture('hostile'), 'terminal').split('\n')
    const rows = lines.slice(
      lines.findIndex((l) => l.includes('TARGET')),
      lines.findIndex((l, i) => i > 2 && l === ''),
    )
    expect(rows.length).toBe(loadFixture('hostile').targets.length + 1)
    // The confidence column starts at the same character in every row.
    expect(new Set(rows.map((row) => [...row.slice(0, row.search(/\S+$/))].length)).size).toBe(1)
    expect(rows.slice(1).map((row) => row.slice(2, 4))).toEqual(['✗ ', '✓ ', '✓ ', '∅ ', '? '])
    expect(rows.some((row) => row.includes('AAAA…'))).toBe(true)
    for (const row of rows) expect([...row].length).toBeLessThan(140)
  })

  it('report file names are safe and say the format', () => {
    const hostile = loadFixture('hostile')
    for (const format of REPORT_FORMATS) {
      const file = reportFileName(hostile, format)
      expect(file).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
      expect(file).not.toContain('..')
    }
    const proceed = loadFixture('proceed')
    expect(REPORT_FORMATS.map((f) => reportFileName(proceed, f))).toEqual(
      expect.arrayContaining([
        'phase-2-2025-10-09T09-30-00Z.md',
        'phase-2-2025-10-09T09-30-00Z.junit.xml',
        'phase-2-2025-10-09T09-30-00Z.json',
      ]),
    )
  })

  it('an unknown format is a user error that lists the known ones', () => {
    expect(() => renderReport(loadFixture('proceed'), 'pdf' as ReportFormat)).toThrow(UserError)
    expect(() => renderReport(loadFixture('proceed'), 'toString' as ReportFormat)).toThrow(
      /use one of json, junit, md, terminal/,
    )
  })

  it('a consensus just under the minimum never prints as equal to it', () => {
    const results = structuredClone(loadFixture('proceed')) as RunResults
    results.consensus = 0.8496
    results.decision = {
      ...results.decision,
      consensus: 0.8496,
      outcome: 'BLOCK',
      reason: 'decided by rule 3: consensus is below the minimum',
      rule: 3,
    }
    expect(renderReport(results, 'terminal')).toContain('consensus 0.8496 (min 0.8500)')
    expect(renderReport(results, 'md')).toContain('consensus 0.8496 &lt; 0.8500')
  })
})

describe('one verdict for a consensus a hair under its minimum in floating point', () => {
  // Confidences 0.95, 0.95 (required) and 0.5 with equal weights average to 0.7999999999999999; the minimum is 0.8.
  const results = copy(loadFixture('proceed'))
  const [a, b, c] = results.targets
  results.targets = [
    {...a!, confidence: 0.95, p: 0.95, required: true, status: 'PASS', weight: 1},
    {...b!, confidence: 0.95, p: 0.95, required: false, status: 'PASS', weight: 1},
    {...c!, confidence: 0.5, p: 0.5, required: false, status: 'INCONCLUSIVE', weight: 1},
  ]
  results.consensus = consensusOf(results.targets)
  results.settings = {...results.settings, minConsensus: 0.8}
  results.decision = decide(results.targets, results.consensus, results.settings)

  it('the engine PROCEEDs by rule 4 and says rule 3 held', () => {
    expect(results.consensus).toBe(0.7999999999999999)
    expect(results.decision).toMatchObject({outcome: 'PROCEED', rule: 4})
  })

  it.each(REPORT_FORMATS)('%s says the same: PROCEED, and never that the consensus fell short', (format) => {
    const text = renderReport(results, format)
    expect(text).toContain('PROCEED')
    // A rule that failed shows as ✗ (md), "does not hold" in its cell (html) or "holds": false (json).
    expect(text).not.toMatch(
      /not reached|>does not hold<|\| ✗ \||is below the minimum|"holds": false|consensus-chart unmet/,
    )
  })

  it('the PR comment and the HTML consensus chart say it was reached', () => {
    expect(renderComment(results)).toMatch(/\(minimum 0\.8, reached\)/)
    expect(renderReport(results, 'html')).toMatch(/consensus-chart met/)
  })

  it('a file saved before the engine recorded its rules gets them from the same engine function', () => {
    const old = copy(results)
    delete old.decision.rules
    expect(renderReport(old, 'md')).toBe(renderReport(results, 'md'))
  })
})
