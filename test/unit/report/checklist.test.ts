import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {escapeMarkdown, escapeMarkdownLine, plainLine} from '../../../src/report/escape.js'
import {renderReport, reportFileName} from '../../../src/report/index.js'
import type {RunResults} from '../../../src/results/types.js'
import {FIXTURES, loadFixture} from './helpers.js'

/** What GitHub's autolinker and reference filter see: the entity decoded to the zero-width space it is. */
const decoded = (md: string) => md.replaceAll('&#8203;', '\u200b')
/** A scheme's `://`, `www.`, an unbroken @mention or #reference: what GitHub would turn into a link or a ping. */
const LINKABLE = /[a-z0-9]:\/\/|\bwww\.|@(?!\u200b)|#\d/i

/** The task lines: one per target, `- [x] ` or `- [ ] ` at the start of the line. */
const tasks = (checklist: string) => checklist.split('\n').filter((line) => /^- \[[ x]\] /.test(line))

describe('checklist format', () => {
  it.each(FIXTURES)('%s: one task per target, ticked exactly when the target PASSes, and the decision line', (name) => {
    const results = loadFixture(name)
    const checklist = renderReport(results, 'checklist')
    const lines = tasks(checklist)
    expect(lines).toHaveLength(results.targets.length)
    results.targets.forEach((target, i) => {
      expect(
        lines[i]!.startsWith(target.status === 'PASS' ? '- [x] ' : '- [ ] '),
        `${target.id} is ${target.status}`,
      ).toBe(true)
      expect(lines[i]).toContain(escapeMarkdownLine(target.title).slice(0, 24))
      if (target.status !== 'PASS') expect(lines[i]).toMatch(new RegExp(`\\(${target.status}(, required)?\\)$`))
    })
    expect(checklist).toContain(`**Decision:** `)
    expect(checklist).toContain(`**${results.decision.outcome}**, decided by rule ${results.decision.rule}`)
  })

  it('a task reads like a release note in a plain log too: target, headline, measured value, confidence', () => {
    const lines = tasks(renderReport(loadFixture('block-required-fail'), 'checklist'))
    expect(lines[1]).toBe(
      '- [x] Dashboard — refresh under 1 s with 100 clients: ' +
        'p95(refresh_latency) < 1 s — measured 612 ms, confidence 0.950',
    )
    expect(lines[0]).toBe(
      '- [ ] Fleet manager — 1000+ agents, allocation under 100 ms: ' +
        'p95(allocation_latency) < 100 ms — measured 132 ms, confidence 0.000 (FAIL, required)',
    )
  })

  it('a passing target is summed up by its primary expectation, not by the one with the smallest margin', () => {
    const checklist = renderReport(loadFixture('no-data'), 'checklist')
    expect(tasks(checklist)[0]).toBe(
      '- [x] Fleet manager — 1000+ agents, allocation under 100 ms: ' +
        'p95(allocation_latency) < 100 ms — measured 41.2 ms, confidence 1.000',
    )
  })

  it('leaves no escaping residue (&lt;, \\_, &#8203;) in any fixture', () => {
    for (const name of FIXTURES.filter((n) => n !== 'hostile'))
      expect(renderReport(loadFixture(name), 'checklist')).not.toMatch(/&lt;|&gt;|&amp;|&#\d+;|\\[_<>()#.-]/)
  })

  it('every expectation is listed under its target; a NO_DATA target says why instead', () => {
    const checklist = renderReport(loadFixture('no-data'), 'checklist')
    expect(checklist).toContain(
      '- [ ] Dashboard — refresh under 1 s with 100 clients — no data: ' +
        'validator dashboard threw: connect ECONNREFUSED 127.0.0.1:41873 (NO_DATA, required)',
    )
    expect(checklist).toContain(
      '  - ✅ PASS p95(allocation_latency) < 100ms: ' + 'measured 41.2 ms, margin +58.8%, P 1.000',
    )
  })

  it('is written as <run>.checklist.md', () => {
    expect(reportFileName(loadFixture('proceed'), 'checklist')).toBe('phase-2-2025-10-09T09-30-00Z.checklist.md')
  })

  it('keeps hostile titles as text: no HTML, link, image, mention, autolink or issue reference', () => {
    const results = structuredClone(loadFixture('block-required-fail')) as RunResults
    results.targets[0]!.title =
      'See https://evil.example/x and www.evil.example, ping @org/team about #12 and octo/repo#3 ' +
      '![i](http://x/i.png) <b>x</b>'
    const checklist = renderReport(results, 'checklist')
    expect(checklist).not.toMatch(/<b>|(?<!\\)\[i(?<!\\)\]/)
    expect(decoded(checklist)).not.toMatch(LINKABLE)
  })
})

describe("escapeMarkdown against GitHub's autolinks and references", () => {
  it('breaks URLs, www. links, @mentions and #references with an invisible zero-width space', () => {
    expect(escapeMarkdown('https://evil.example')).toBe('https&#8203;://evil.example')
    expect(escapeMarkdown('www.evil.example')).toBe('www&#8203;.evil.example')
    expect(escapeMarkdown('@team')).toBe('@&#8203;team')
    expect(escapeMarkdown('fixes #12')).toBe('fixes \\#&#8203;12')
    expect(escapeMarkdown('C# and #tag')).toBe('C\\# and \\#tag')
  })

  it('no input leaves a scheme, www., @ or # followed by a digit for GitHub to link', () => {
    const pieces = fc.constantFrom(
      'http',
      'https',
      'ftp',
      'mailto',
      ':',
      '//',
      'www',
      '.',
      '@',
      '#',
      '1',
      'team',
      '\\',
      '&',
      ';',
      '&#8203;',
      ' ',
    )
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string({maxLength: 4})), {maxLength: 16}), (parts) => {
        expect(decoded(escapeMarkdown(parts.join('')))).not.toMatch(LINKABLE)
      }),
    )
  })
})

/** The characters that act in GitHub Markdown wherever they stand, and the pieces of tags, entities and links. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<b>',
        '</i>',
        '<!--',
        '<?x',
        '< 1',
        '<=',
        '&amp;',
        '&#60;',
        '& ',
        '_',
        'a_b',
        '__',
        '*',
        '`',
        '~',
        '$',
        '[',
        ']',
        '|',
        '\\',
        '\\_',
        '@team',
        '#12',
        'https://x',
        'www.x',
        ' ',
        'a',
        '1',
      ),
      fc.string({maxLength: 4}),
    ),
    {maxLength: 16},
  )
  .map((parts) => parts.join(''))

/** Whether the character at `index` is escaped: preceded by an odd run of backslashes. */
function escapedAt(text: string, index: number): boolean {
  let run = 0
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) run++
  return run % 2 === 1
}

describe('escapeMarkdownLine (the checklist)', () => {
  it('leaves nothing that GitHub Markdown would act on: tags, entities, emphasis, code, links, tables, pings', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const md = escapeMarkdownLine(text)
        expect(md).not.toMatch(/<[A-Za-z/!?]/)
        // Every entity GitHub would decode is one of the escapes, which decode to the text's own & or <
        // (stripping them first and searching again would find "&amp;" in the escaped "&&amp;amp;").
        for (const entity of md.match(/&#?[A-Za-z0-9]+;/g) ?? []) expect(['&amp;', '&lt;']).toContain(entity)
        expect(escapedAt(md, md.length)).toBe(false)
        ;[...md].forEach((char, i, chars) => {
          const at = chars.slice(0, i).join('').length
          if ('`*~$[]|'.includes(char)) expect(escapedAt(md, at), `${char} in ${md}`).toBe(true)
          if (char === '_' && !escapedAt(md, at))
            expect(/[\p{L}\p{N}]/u.test(chars[i - 1] ?? '') && /[\p{L}\p{N}]/u.test(chars[i + 1] ?? '')).toBe(true)
        })
        expect(decoded(md)).not.toMatch(LINKABLE)
      }),
      {numRuns: 10_000},
    )
  })

  it('leaves ordinary text as it is, so a plain log reads it as written', () => {
    const words = fc.constantFrom(
      'p95(allocation_latency)',
      '<',
      '< 100 ms',
      '>=',
      '90%',
      'a',
      'C#',
      '1,000',
      '—',
      '(x)',
      'a.b',
      ':',
    )
    fc.assert(
      fc.property(fc.array(words, {maxLength: 8}), (parts) => {
        const text = parts.join(' ')
        expect(escapeMarkdownLine(text)).toBe(plainLine(text))
      }),
    )
  })
})
