import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {renderComment, visiblePart} from '../../../src/github/comment-body.js'
import {escapeMarkdown, escapeMarkdownLine, escapeXml} from '../../../src/report/escape.js'
import {renderReport} from '../../../src/report/index.js'
import type {RunResults} from '../../../src/results/types.js'
import {validateResults} from '../../../src/results/validate.js'
import {loadFixture, parseXml, raggedTables, sectionTable} from './helpers.js'

/** A blocked run whose gate file gave every target an owner, notes, a recommendation and a risk, and next_phase. */
function narrated(text: (field: string, index: number) => string): RunResults {
  const results = structuredClone(loadFixture('block-required-fail')) as RunResults
  results.gate.nextPhase = [text('next', 0), text('next', 1)]
  results.targets.forEach((target, i) => {
    target.narrative = {
      notes: text('notes', i),
      owner: text('owner', i),
      recommendation: text('recommendation', i),
      risk: {impact: 'high', likelihood: 'low', mitigation: text('mitigation', i)},
    }
  })
  // What a saved file would be: the results schema accepts the narrative.
  return validateResults(JSON.parse(JSON.stringify(results)))
}

const plain = narrated((field, i) => `${field} ${i}`)

describe('the gate file narrative in every format', () => {
  it('md: owner and recommendation in the key findings, every field in the target section, the risk in Risks', () => {
    const md = renderReport(plain, 'md')
    expect(md).toContain(
      '- ❌ **Fleet manager — 1000+ agents, allocation under 100 ms**: FAIL · MISSED, ' +
        'p95(allocation\\_latency) 132 ms vs &lt; 100 ms (confidence 0.000, required, owner owner 0)\n' +
        '  - Recommendation: recommendation 0',
    )
    expect(md).toContain(
      '**Owner:** owner 1  \n**Recommendation:** recommendation 1  \n**Notes:** notes 1  \n' +
        '**Risk (gate file):** likelihood low, impact high; mitigation: mitigation 1',
    )
    const told = sectionTable(md, 'Risks').filter((row) => row[3]!.startsWith('gate file'))
    expect(told.map((row) => [row[2], row[3], row[4], row[5], row[6]])).toEqual(
      plain.targets.map((target, i) => [
        `missing it (now ${target.status}, ${i === 0 ? 'MISSED' : i < 3 ? 'EXCEEDED' : 'MET'})`,
        `gate file, owner owner ${i}`,
        'low',
        'high',
        `mitigation ${i}`,
      ]),
    )
    const phase = md.slice(md.indexOf('## Conditions for the next phase'), md.indexOf('### Improvements'))
    expect(phase).toContain('- [ ] next 0\n- [ ] next 1\n')
    expect(raggedTables(md)).toEqual([])
  })

  it('html: the narrative among the target facts, next-phase conditions as a list', () => {
    const page = renderReport(plain, 'html')
    expect(page).toContain('<div><dt>owner</dt><dd>owner 2</dd></div>')
    expect(page).toContain(
      '<div><dt>risk (gate file)</dt><dd>likelihood low, impact high; mitigation: mitigation 2</dd></div>',
    )
    expect(page).toContain('<li>next 0</li>\n<li>next 1</li>')
  })

  it('junit, checklist and the PR comment carry it; the comment keeps it out of sight', () => {
    expect(renderReport(plain, 'junit')).toContain(
      'owner: owner 0\nrecommendation: recommendation 0\nnotes: notes 0\n' +
        'risk (gate file): likelihood low, impact high; mitigation: mitigation 0',
    )
    expect(renderReport(plain, 'checklist')).toContain('  - Owner: owner 4\n  - Recommendation: recommendation 4\n')
    const comment = renderComment(plain)
    expect(visiblePart(comment)).not.toContain('recommendation 0')
    expect(comment).toContain('**Recommendation:** recommendation 0')
    expect(JSON.parse(renderReport(plain, 'json')).targets[3].narrative.owner).toBe('owner 3')
  })

  it('a run without narrative says the gate file names no next-phase conditions, and shows no owner', () => {
    const md = renderReport(loadFixture('block-required-fail'), 'md')
    expect(md).toContain('The gate file names no next_phase conditions.')
    expect(md).not.toMatch(/Owner|gate file, owner/)
  })
})

/** Markdown, HTML, XML, template, terminal and CI-command text at once. */
const HOSTILE = [
  '<script>alert(1)</script> | `code` [link](javascript:x) ![i](http://x/i.png) **b** _e_ ~~s~~ $x$',
  '@octocat #12 owner/repo#3 https://evil.example www.evil.example ${{ secrets.TOKEN }} {{constructor}}',
  ']]> &amp; &#60; "q" \'s\' \\ \u001b[31mred \u202eevil \u0000 ::error::pwned',
].join(' ')

describe('hostile narrative text', () => {
  const results = narrated(() => HOSTILE)

  it('md: no tag, code span, link, ping or broken table; the text is all there', () => {
    const md = renderReport(results, 'md')
    expect(md.replaceAll('<br>', '')).not.toContain('<')
    expect(md).not.toMatch(/(?<!\\)`|(?<!\\)\[link(?<!\\)\]|@(?!&#8203;)|(?<!\\)\$\{\{/)
    expect(raggedTables(md)).toEqual([])
    expect(md).toContain(escapeMarkdown(HOSTILE))
  })

  it('html: a well-formed page with no element or attribute from the text', () => {
    const page = renderReport(results, 'html')
    const tags = new Set(parseXml(page).attributes.map((e) => e.name))
    for (const tag of ['script', 'img', 'svg:script']) expect(tags.has(tag)).toBe(false)
    expect(page).toContain(escapeXml(HOSTILE))
  })

  it('junit: well-formed, the text as text', () => {
    const junit = renderReport(results, 'junit')
    expect(() => parseXml(junit)).not.toThrow()
    expect(junit).toContain(`owner: ${escapeXml(HOSTILE)}`)
  })

  it('checklist and PR comment: no tag, link or ping; terminal: no control character', () => {
    const checklist = renderReport(results, 'checklist')
    expect(checklist).not.toMatch(/<[A-Za-z/!?]|@(?!\u200b)|[a-z0-9]:\/\/|(?<!\\)\[link/)
    expect(checklist).toContain(`Owner: ${escapeMarkdownLine(HOSTILE)}`)
    const comment = renderComment(results)
    expect(comment.replace(/<!-- phasegate:[^ ]+ -->|<\/?(details|summary|sub|br)>/g, '')).not.toContain('<')
    expect(renderReport(results, 'terminal')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
  })

  it('any text in any narrative field keeps every format intact', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 40, unit: 'binary'}), (text) => {
        const run = narrated(() => text)
        expect(raggedTables(renderReport(run, 'md'))).toEqual([])
        expect(() => parseXml(renderReport(run, 'junit'))).not.toThrow()
        expect(() => parseXml(renderReport(run, 'html'))).not.toThrow()
        for (const line of renderReport(run, 'terminal').split('\n')) expect(line).not.toMatch(/^\s*::|\u001b/)
      }),
      {numRuns: 25},
    )
  })
})
