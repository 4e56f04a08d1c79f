import {describe, expect, it} from 'vitest'

import {renderComment} from '../../../src/github/comment-body.js'
import {renderReport} from '../../../src/report/index.js'
import {judgeNoise} from '../../../src/results/noise.js'
import type {RunResults} from '../../../src/results/types.js'
import {validateResults} from '../../../src/results/validate.js'
import {copy, loadFixture, parseXml, raggedTables, sectionTable} from './helpers.js'

const BUSY = judgeNoise(
  {cores: 2, eventLoopDelayP99Ms: 41, generatorCpu: 0.97, loadAverage: 3.44, stealShare: 0, windowMs: 5000},
  'measured',
)
const QUIET = judgeNoise(
  {cores: 2, eventLoopDelayP99Ms: null, generatorCpu: 0.2, loadAverage: 0.5, stealShare: null, windowMs: 40},
  'measured',
)
const NOTE = 'busy machine: load 3.4 on 2 cores; gate CPU 0.97, event-loop delay p99 41 ms'

/** proceed.json with its first target measured on a busy machine and its second on a quiet one. */
function noisy(): RunResults {
  const results = copy(loadFixture('proceed'))
  results.targets[0] = {...results.targets[0]!, noise: copy(BUSY)}
  results.targets[1] = {...results.targets[1]!, noise: copy(QUIET)}
  return results
}

describe('the noise record in the results file', () => {
  it('validates against the results schema', () => {
    expect(() => validateResults(JSON.parse(JSON.stringify(noisy())))).not.toThrow()
  })

  it('is optional: a file written before it was recorded still reads', () => {
    const old = loadFixture('proceed')
    expect(old.targets.some((target) => 'noise' in target)).toBe(false)
    expect(() => validateResults(old)).not.toThrow()
  })

  it.each([
    ['a figure missing', (noise: any) => delete noise.generatorCpu, 'targets[0].noise.generatorCpu: is missing'],
    ['a steal share above 1', (noise: any) => (noise.stealShare = 4), 'targets[0].noise.stealShare: must be <= 1'],
    ['an unknown figure', (noise: any) => (noise.mood = 'grumpy'), 'targets[0].noise.mood: is not a known property'],
  ])('rejects %s', (_, corrupt, expected) => {
    const results = noisy() as any
    corrupt(results.targets[0].noise)
    expect(() => validateResults(results)).toThrow(expected)
  })
})

describe('a target measured on a busy machine is flagged in every report', () => {
  const results = noisy()

  it('terminal: a line under the table names the target and the figures', () => {
    const text = renderReport(results, 'terminal')
    expect(text).toContain('MEASURED ON A BUSY MACHINE')
    expect(text).toContain(`${results.targets[0]!.title.slice(0, 20)}`)
    expect(text.split('\n').filter((line) => line.includes('busy machine:'))).toEqual([expect.stringContaining(NOTE)])
  })

  it("md: in the key findings, the target's analysis and the risks, with every target's figures", () => {
    const md = renderReport(results, 'md')
    expect(md.split('\n').filter((line) => line.includes('busy machine:'))).toHaveLength(3)
    expect(
      sectionTable(md, 'Risks')
        .find((row) => row[2] === NOTE)
        ?.slice(3),
    ).toEqual([
      'computed',
      'unknown: one run cannot show how much the machine moved its timings',
      expect.any(String),
      'measure it again on a quiet machine',
    ])
    expect(md).toContain(`**${NOTE}**`)
    expect(md).toContain(
      '**Machine while it ran:** load 3.4 on 2 cores, CPU steal 0%, gate CPU 0.97, event-loop delay p99 41 ms, over ' +
        '5 s',
    )
    expect(md).toContain('**Machine while it ran:** load 0.5 on 2 cores, CPU steal unknown, gate CPU 0.20, over 40 ms')
    expect(raggedTables(md)).toEqual([])
  })

  it("html: a note in the target's section, and the figures among its facts", () => {
    const html = renderReport(results, 'html')
    expect(html.match(/<p class="busy" role="note">/g)).toHaveLength(1)
    expect(html).toContain(`<strong>${NOTE}</strong>`)
    expect(html).toContain('<dt>machine</dt><dd>load 0.5 on 2 cores')
    expect(() => parseXml(html.replace('<!DOCTYPE html>', ''))).not.toThrow()
  })

  it("junit: in the testcase's system-out", () => {
    const xml = renderReport(results, 'junit')
    expect(() => parseXml(xml)).not.toThrow()
    const firstCase = xml.slice(xml.indexOf('<testcase'), xml.indexOf('</testcase>'))
    expect(firstCase).toContain(NOTE)
  })

  it("PR comment: on the target's line in sight and in its table row", () => {
    const body = renderComment(results)
    // Before the full report, which flags it as the md report does.
    const lines = body
      .slice(0, body.indexOf('# Gate report'))
      .split('\n')
      .filter((line) => line.includes('busy machine'))
    expect(lines.map((line) => line.slice(0, 2))).toEqual(['- ', '| '])
    for (const line of lines) expect(line).toContain(`**${NOTE}**`)
  })

  it("checklist: under the target's task", () => {
    const lines = renderReport(results, 'checklist').split('\n')
    const task = lines.findIndex(
      (line) => line.startsWith('- [') && line.includes(results.targets[0]!.title.slice(0, 20)),
    )
    const next = lines.slice(task + 1).findIndex((line) => line.startsWith('- ['))
    expect(lines.slice(task + 1, task + 1 + next)).toContain(`  - ${NOTE} — measure it again on a quiet machine`)
  })

  it('no report flags a quiet target or a run without noise records', () => {
    const quiet = copy(results)
    quiet.targets[0] = {...quiet.targets[0]!, noise: copy(QUIET)}
    for (const format of ['terminal', 'md', 'html', 'junit', 'checklist'] as const) {
      expect(renderReport(quiet, format)).not.toContain('busy machine')
      expect(renderReport(loadFixture('proceed'), format)).not.toMatch(/busy machine|Machine while/)
    }
    expect(renderComment(quiet)).not.toContain('busy machine')
  })

  it('reasons from a file are escaped like every other field', () => {
    const hostile = copy(results)
    hostile.targets[0]!.noise!.reasons = ['load <b>9</b> | @octocat #1']
    expect(renderReport(hostile, 'md')).toContain(
      'busy machine: load &lt;b&gt;9&lt;/b&gt; \\| @&#8203;octocat \\#&#8203;1',
    )
    expect(renderReport(hostile, 'html')).toContain('busy machine: load &lt;b&gt;9&lt;/b&gt; | @octocat #1')
    expect(() => parseXml(renderReport(hostile, 'junit'))).not.toThrow()
  })
})
