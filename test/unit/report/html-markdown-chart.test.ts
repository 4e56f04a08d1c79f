import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {escapeHtml, escapeMarkdown, escapeXml, plainLine} from '../../../src/report/escape.js'
import {mermaidLabel} from '../../../src/report/html/mermaid.js'
import {renderReport} from '../../../src/report/index.js'
import type {RunResults} from '../../../src/results/types.js'
import {HOSTILE, manyTargetsRun} from '../../browser/runs.js'
import {copy, FIXTURES, loadFixture} from './helpers.js'

/** The Mermaid block of a Markdown report, as its lines. */
function mermaidBlock(md: string): string[] {
  const start = md.indexOf('~~~mermaid\n')
  if (start < 0) throw new Error('no mermaid block')
  return md.slice(start, md.indexOf('\n~~~\n', start) + 4).split('\n')
}

const list = (line: string) => line.slice(line.indexOf('[') + 1, line.lastIndexOf(']'))

describe("the Markdown report's Mermaid chart", () => {
  it.each(FIXTURES)('%s: one bar per target with its P(holds), and the PASS and FAIL lines', (name) => {
    const results = loadFixture(name)
    const block = mermaidBlock(renderReport(results, 'md'))
    expect(block.slice(0, 2)).toEqual(['~~~mermaid', 'xychart-beta horizontal'])
    expect(block.at(-1)).toBe('~~~')
    const line = (prefix: string) => block.find((l) => l.trimStart().startsWith(prefix))!
    const labels = [...list(line('x-axis')).matchAll(/"([^"]*)"/g)].map((m) => m[1])
    expect(labels).toHaveLength(results.targets.length)
    labels.forEach((label, i) => expect(label).toMatch(new RegExp(`^${i + 1} `)))
    expect(list(line('bar')).split(', ').map(Number)).toEqual(results.targets.map((t) => Number((t.p ?? 0).toFixed(3))))
    const lines = block
      .filter((l) => l.trimStart().startsWith('line '))
      .map((l) => new Set(list(l).split(', ').map(Number)))
    expect(lines).toEqual([
      new Set([results.settings.confidence]),
      new Set([Number((1 - results.settings.confidence).toFixed(3))]),
    ])
    expect(line('y-axis')).toBe('    y-axis "P(holds)" 0 --> 1')
  })

  it('labels keep only what neither Mermaid nor any report escaper reads as syntax, whatever the name', () => {
    const hostile = fc.oneof(
      fc.constantFrom(...HOSTILE, '"quoted" [x] #35; %% --> `tick` ~~~', 'www.example.com http://x.io', '\u202eevil'),
      fc.string({maxLength: 60, unit: 'binary'}),
    )
    fc.assert(
      fc.property(hostile, (text) => {
        const label = mermaidLabel(text, 'fallback')
        expect(label.length).toBeGreaterThan(0)
        expect([...label].length).toBeLessThanOrEqual(32)
        expect(label).toMatch(/^[\p{L}\p{M}\p{N} .,()+/=!?\u2013\u2014…-]+$/u)
        for (const escape of [escapeMarkdown, escapeHtml, escapeXml, plainLine]) expect(escape(label)).toBe(label)
      }),
    )
    expect(mermaidLabel('Cache — L1 "hit" [rate] <90%>', 'x')).toBe('Cache — L1 hit rate 90')
    expect(mermaidLabel('`~#;%', 'target 3')).toBe('target 3')
  })

  it('the hostile fixture gives a block with nothing that ends a label, a list or the fence early', () => {
    const block = mermaidBlock(renderReport(loadFixture('hostile'), 'md'))
    const axis = block.find((l) => l.includes('x-axis'))!
    expect(axis.match(/"/g)).toHaveLength(2 * loadFixture('hostile').targets.length)
    expect(list(axis)).not.toMatch(/[[\]`~<>&\\]/)
    expect(block.slice(1, -1).join('\n')).not.toMatch(/~~~|```/)
  })

  it('many targets: one category each, in order', () => {
    const results: RunResults = manyTargetsRun(40)
    const labels = [
      ...mermaidBlock(renderReport(results, 'md'))
        .find((l) => l.includes('x-axis'))!
        .matchAll(/"(\d+) /g),
    ].map((m) => Number(m[1]))
    expect(labels).toEqual(Array.from({length: 40}, (_, i) => i + 1))
  })

  it('a title that is only symbols falls back to the target number', () => {
    const results = copy(loadFixture('proceed'))
    results.targets[0]!.title = '<<<>>>'
    expect(mermaidBlock(renderReport(results, 'md')).find((l) => l.includes('x-axis'))).toContain('["1", "2 Dashboard')
  })
})
