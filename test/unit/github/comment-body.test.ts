import {describe, expect, it} from 'vitest'

import {
  COMMENT_LIMIT,
  commentMarker,
  renderComment,
  VISIBLE_LIMIT,
  visiblePart,
} from '../../../src/github/comment-body.js'
import {renderReport} from '../../../src/report/index.js'
import {score} from '../../../src/report/numbers.js'
import type {RunResults} from '../../../src/results/types.js'
import {FIXTURES, loadFixture, raggedTables} from '../report/helpers.js'

/** The one-line-per-target list in sight before the details. */
function visibleLines(body: string): string[] {
  return visiblePart(body)
    .split('\n')
    .filter((line) => line.startsWith('- '))
}

/** What must survive every trim: the marker, the decision with its rule, and the consensus against its minimum. */
function expectHeader(body: string, results: RunResults): void {
  expect(body.startsWith(`${commentMarker(results.gate.name)}\n`)).toBe(true)
  expect(body).toContain(`${results.decision.outcome} · `)
  expect(body).toContain(`decided by rule ${results.decision.rule}`)
  expect(body).toContain(
    `**Consensus ${score(results.consensus, results.decision.minConsensus)}** (minimum ` +
      `${score(results.decision.minConsensus, results.consensus)}`,
  )
}

/** A run with `count` targets, each with a long title and a long note: far over any comment limit. */
function enormous(count: number): RunResults {
  const results = structuredClone(loadFixture('block-required-fail')) as RunResults
  const template = results.targets[0]!
  results.targets = Array.from({length: count}, (_, i) => ({
    ...structuredClone(template),
    evidence: {...structuredClone(template.evidence!), notes: [`note ${i} ${'n'.repeat(390)}`]},
    id: `target-${i}`,
    required: i === 7,
    status: i === 7 ? 'FAIL' : 'PASS',
    title: `Target ${i} ${'t'.repeat(380)}`,
  }))
  results.decision = {...results.decision, deciding: ['target-7'], improvements: []}
  return results
}

describe('the pull-request comment', () => {
  it.each(FIXTURES)(
    '%s: marker, decision, rule, consensus and one line per target in sight; the rest collapsed',
    (name) => {
      const results = loadFixture(name)
      const body = renderComment(results)
      expectHeader(body, results)
      const visible = visiblePart(body)
      expect(visible.length).toBeLessThanOrEqual(VISIBLE_LIMIT)
      expect(visibleLines(body)).toHaveLength(results.targets.length)
      results.targets.forEach((target, i) =>
        expect(visibleLines(body)[i]).toContain(` ${target.status.replace('_', '\\_')} · `),
      )
      // The table, the notes and the full report ride along, collapsed.
      const details = body.slice(body.indexOf('<details>'))
      const tableRows = details.split('\n').filter((line) => /^\| (?!Target \||---|… )/.test(line))
      expect(tableRows.length).toBeGreaterThanOrEqual(results.targets.length)
      expect(details).toContain(renderReport(results, 'md'))
      expect(raggedTables(body)).toEqual([])
    },
  )

  it('the marker is percent-encoded: no gate name can close the HTML comment or pose as another gate', () => {
    expect(commentMarker('phase-2')).toBe('<!-- phasegate:phase-2 -->')
    expect(commentMarker('x --> <img src=x>')).toBe('<!-- phasegate:x%20--%3E%20%3Cimg%20src%3Dx%3E -->')
    expect(commentMarker('a b')).not.toBe(commentMarker('a%20b'))
  })

  it('hostile text stays text: no HTML, links, images, mentions or references', () => {
    const body = renderComment(loadFixture('hostile'))
    const outsideOurTags = body.replace(/<!-- phasegate:[^ ]+ -->|<\/?(details|summary|sub|br)>/g, '')
    expect(outsideOurTags).not.toContain('<')
    expect(body).not.toMatch(/(?<!\\)\[(?:link|img|a)(?<!\\)\]/)
    expect(body).not.toMatch(/@(?!&#8203;)/)
    expect(body).not.toMatch(/[a-z]:\/\//i)
  })

  it('drops the full report first, then the notes, and keeps the header', () => {
    const results = loadFixture('block-required-fail')
    const full = renderComment(results)
    const withoutReport = renderComment(results, full.length - 1)
    expect(withoutReport).not.toContain('# Gate report')
    expect(withoutReport).toContain('The full report is too long for a comment')
    expect(withoutReport).toContain('- **Fleet manager — 1000+ agents, allocation under 100 ms**: latency timed')
    const withoutNotes = renderComment(results, withoutReport.length - 1)
    expect(withoutNotes).not.toContain('latency timed')
    expect(visibleLines(withoutNotes)).toHaveLength(results.targets.length)
    expectHeader(withoutNotes, results)
  })

  it(
    "stays under GitHub's 65,536 characters for any number of targets, keeping failing rows before passing " + 'ones',
    () => {
      const results = enormous(700)
      const body = renderComment(results)
      expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT)
      expect(body.length).toBeGreaterThan(COMMENT_LIMIT - 1000)
      expectHeader(body, results)
      expect(visiblePart(body).length).toBeLessThanOrEqual(VISIBLE_LIMIT)
      // The failing target is in sight, the passing ones are counted.
      expect(visibleLines(body)).toContainEqual(expect.stringMatching(/^- ❌ FAIL · MISSED · \*\*Target 7 t+\*\*/))
      expect(visibleLines(body).at(-1)).toMatch(/^- … \d+ more targets \(\d+ of them PASS\): see the details below$/)
      expect(body).toMatch(/^\| Target 7 t+ \| ❌ FAIL · MISSED \|/m)
      expect(body).toMatch(/^\| … \d+ more targets, left out to fit a comment \|/m)
      expect(body).not.toContain('note 0')
      expect(raggedTables(body)).toEqual([])
    },
  )

  it('a 300-target gate stays under the limit, its visible part under 3,000 characters', () => {
    const body = renderComment(enormous(300))
    expect(body.length).toBeLessThan(COMMENT_LIMIT)
    expect(visiblePart(body).length).toBeLessThanOrEqual(VISIBLE_LIMIT)
  })
})
