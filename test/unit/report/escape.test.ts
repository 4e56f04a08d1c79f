import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {clip, escapeMarkdown, escapeView, escapeXml, plainLine} from '../../../src/report/escape.js'
import {renderReport} from '../../../src/report/index.js'
import type {RunResults} from '../../../src/results/types.js'
import {loadFixture, parseXml, raggedTables, tableCells} from './helpers.js'

/** Strings built from the pieces that break formats, mixed with arbitrary code units (lone surrogates included). */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '|',
        '`',
        '<script>',
        '</script>',
        ']]>',
        '&',
        '&amp;',
        '"',
        "'",
        '\n',
        '\r\n',
        '\\',
        '\\|',
        '@here',
        '${{ secrets.X }}',
        '{{x}}',
        '::error::',
        '\u001b[31m',
        '\u202e',
        '\u0000',
        '\ud800',
        '#',
        '*',
        '_',
        '[',
        ']',
        '~',
        '$',
      ),
      fc.string({maxLength: 8, unit: 'binary'}),
    ),
    {maxLength: 12},
  )
  .map((parts) => parts.join(''))

/** A blocked run with `text` in every kind of field a user or a validator controls. */
function withText(text: string): RunResults {
  const results = structuredClone(loadFixture('block-required-fail')) as RunResults
  const [first, second] = results.targets
  first!.title = text
  first!.evidence!.source = text
  first!.expectations[0]!.expression = text
  second!.id = `id${text}`
  results.decision.improvements = []
  results.warnings = [text]
  results.gate.title = text
  return results
}

describe('escapers', () => {
  it('plainLine leaves one printable line', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(plainLine(text)).not.toMatch(
          new RegExp(
            String.raw`[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2028\u2029]|` +
              String.raw`[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]`,
          ),
        )
      }),
    )
  })

  it('plainLine drops terminal escape sequences whole: a coloured log line leaves no "[31m" behind', () => {
    const logged = '\u001b[31mFAIL\u001b[0m \u001b[1;38;2;255;0;0mconnection refused\u001b[39m'
    const linked = '\u001b]8;;https://ci.test/run/1\u0007run 1\u001b]8;;\u0007 \u001b[2K\rdone'
    expect(plainLine(logged)).toBe('FAIL connection refused')
    expect(plainLine(linked)).toBe('run 1  done')
    expect(escapeMarkdown(logged)).toBe('FAIL connection refused')
    expect(escapeXml(`${logged}\n\u009b31mC1\u009b0m`)).toBe('FAIL connection refused C1')
  })

  it('escapeMarkdown leaves no table border, code span, tag or mention', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const md = escapeMarkdown(text)
        expect(tableCells(`| ${md} |`)).toHaveLength(1)
        expect(md).not.toMatch(/[<>\n]|(?<!\\)`|@(?!&#8203;)/)
      }),
    )
  })

  it('escapeXml gives attribute and text content that a strict parser reads back as the plain line', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const xml = `<a v="${escapeXml(text)}">${escapeXml(text)}</a>`
        const [element] = parseXml(xml).attributes
        expect(element!.attributes.v).toBe(plainLine(text))
      }),
    )
  })

  it('escapeView reaches every string and leaves numbers and booleans alone', () => {
    expect(escapeView({a: ['<'], b: {c: '&', d: 1, e: true, f: null}}, escapeXml)).toEqual({
      a: ['&lt;'],
      b: {c: '&amp;', d: 1, e: true, f: null},
    })
  })

  it('clip cuts by characters, never inside an emoji', () => {
    expect(clip('ab😀cd', 4)).toBe('ab😀…')
    expect(clip('abc', 3)).toBe('abc')
  })
})

describe('hostile.json', () => {
  const results = loadFixture('hostile')
  const md = renderReport(results, 'md')
  const junit = renderReport(results, 'junit')
  const terminal = renderReport(results, 'terminal')

  it('md has no raw HTML: every < is escaped except the <br> it puts between expectations', () => {
    expect(md).not.toContain('<script>')
    expect(md.replaceAll('<br>', '')).not.toContain('<')
  })

  it("md keeps every table row to its header's cell count", () => {
    expect(raggedTables(md)).toEqual([])
    // The check can fail: an unescaped pipe in a row is caught.
    expect(raggedTables('| a | b |\n|---|---|\n| x | y | z |')).toHaveLength(1)
  })

  it('md escapes code spans, links, mentions and expressions', () => {
    expect(md).not.toMatch(/(?<!\\)`/)
    expect(md).not.toMatch(/(?<!\\)\[link(?<!\\)\]/)
    expect(md).not.toMatch(/@(?!&#8203;)/)
    expect(md).not.toMatch(/(?<!\\)\$\{\{/)
  })

  it('junit is well-formed XML and keeps the hostile text as text', () => {
    const elements = parseXml(junit).attributes
    expect(junit).not.toContain('<script>')
    expect(
      elements.find((e) => e.name === 'property' && e.attributes.name === 'phasegate.gate.title')?.attributes.value,
    ).toBe(plainLine(results.gate.title))
    expect(() => parseXml(junit.replace('&lt;script&gt;', '<script>'))).toThrow()
  })

  it('terminal has no control characters other than newlines', () => {
    expect(terminal).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/)
  })

  it('any text in any field keeps md tables intact and junit well-formed', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const results = withText(text)
        expect(raggedTables(renderReport(results, 'md'))).toEqual([])
        expect(() => parseXml(renderReport(results, 'junit'))).not.toThrow()
        for (const line of renderReport(results, 'terminal').split('\n')) expect(line).not.toMatch(/^\s*::|\u001b/)
      }),
      {numRuns: 60},
    )
  })
})
