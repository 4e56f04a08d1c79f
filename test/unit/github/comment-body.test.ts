import {describe, expect, it} from 'vitest'

import {COMMENT_LIMIT, commentMarker, renderComment} from '../../../src/github/comment-body.js'
import {renderReport} from '../../../src/report/index.js'
import {score} from '../../../src/report/numbers.js'
import type {RunResults} from '../../../src/results/types.js'
import {FIXTURES, loadFixture, raggedTables} from '../report/helpers.js'

/** What must survive every trim: the marker, the decision with its rule, and the consensus against its minimum. */
function expectHeader(body: string, results: RunResults): void {
  expect(body.startsWith(`${commentMarker(results.gate.name)}\n`)).toBe(true)
  expect(body).toContain(`${results.decision.outcome} · `)
  expect(body).toContain(`decided by rule ${results.decision.rule}`)
  const consensus = score(results.consensus, results.decision.minConsensus)
  const minimum = score(results.decision.minConsensus, results.consensus)
  expect(body).toContain(`**Consensus ${consensus}** (minimum ${minimum}`)
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
  it.each(FIXTURES)('%s: marker, decision, rule, consensus and one row per target; tables intact', (name) => {
    const results = loadFixture(name)
    const body = renderComment(results)
    expectHeader(body, results)
    const rows = body
      .slice(0, body.indexOf('<details>'))
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| Target |'))
    expect(rows).toHaveLength(results.targets.length)
    expect(raggedTables(body)).toEqual([])
    // The full report rides along, collapsed.
    expect(body).toContain(`<details>\n<summary>Full report</summary>\n\n${renderReport(results, 'md')}`)
  })

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
    expect(withoutReport).not.toContain('<details>')
    expect(withoutReport).toContain('The full report is too long for a comment')
    expect(withoutReport).toContain('- **Fleet manager — 1000+ agents, allocation under 100 ms**: latency timed')
    const withoutNotes = renderComment(results, withoutReport.length - 1)
    expect(withoutNotes).not.toContain('latency timed')
    expect(withoutNotes.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Target |'))).toHaveLength(
      results.targets.length,
    )
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
      expect(body).toMatch(/^\| Target 7 t+… \| ❌ FAIL \|/m)
      expect(body).toMatch(/^\| … \d+ more targets, left out to fit a comment \|/m)
      expect(body).not.toContain('note 0')
      expect(raggedTables(body)).toEqual([])
    },
  )
})
