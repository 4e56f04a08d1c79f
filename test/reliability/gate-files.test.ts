// Hostile gate files: every one ends in a UserError that names its place (exit 2 through the CLI),
// never another error, never a hang, never a gate that runs. Complements test/unit/config/property.test.ts
// (random text, mutations and replaced values of a good gate) with the attacks that cost memory or time.
import fc from 'fast-check'
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {parseGate} from '../../src/config/load.js'
import {UserError} from '../../src/errors.js'
import {runGate} from '../integration/helpers.js'

const FILE = '/project/gates/hostile.yaml'
const OPTIONS = {cwd: '/project', env: {}}
let cases = 0

/** The one promise: a UserError whose issues point inside the file, or (for a valid gate) a config. */
function refused(text: string): UserError {
  cases++
  try {
    parseGate(Buffer.from(text), FILE, OPTIONS)
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    expect(error.describe()).toContain('gates/hostile.yaml')
    return error
  }
  throw new Error(`accepted a hostile gate:\n${text.slice(0, 400)}`)
}

const HEAD = 'version: 1\ntargets:\n  - id: t\n    validator: command\n    with: {run: "true"}\n'

afterAll(() => {
  // The closing note counts these.
  process.stdout.write(`reliability/gate-files: ${cases} hostile gate files refused in-process\n`)
})

describe('gate files that cost memory or time', () => {
  it('an alias bomb (a billion laughs) is refused, not expanded', () => {
    const levels = Array.from(
      {length: 12},
      (_, i) => `l${i + 1}: &l${i + 1} [${Array.from({length: 10}, () => `*l${i}`).join(', ')}]`,
    )
    const text = `version: 1\nl0: &l0 "lol"\n${levels.join('\n')}\n${HEAD.slice('version: 1\n'.length)}`
    expect(refused(text).describe()).toMatch(/alias|excessive|anchor|unknown key/i)
  })

  it('deep nesting (10,000 levels of flow sequences and of mappings) is refused with a message', () => {
    refused(`${HEAD}    expect: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`)
    refused(`${HEAD}    expect: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`)
  })

  it('a huge file (8 MB of targets) is refused by size before it is parsed', () => {
    const target = '  - {id: t, validator: command, with: {run: "true"}, expect: [failures == 0]}\n'
    refused(`version: 1\ntargets:\n${target.repeat(Math.ceil((8 * 1024 * 1024) / target.length))}`)
  })
})

describe('bad expressions and units, generated', () => {
  const word = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/)
  const junk = fc.oneof(
    fc.constantFrom('<<', '=>', '≤', '===', '%%', 'ms ms', '1e999', '-', '()', 'p101(x)', 'baseline /', 'NaN', '∞'),
    fc.string({maxLength: 12}),
  )
  const expression = fc
    .tuple(
      fc.oneof(word, fc.constant('p95(latency)')),
      junk,
      fc.oneof(
        fc.constantFrom('10furlongs', '5 parsecs', '1e999ms', '', '10 ms/s', '200ms extra'),
        fc.string({maxLength: 8}),
      ),
    )
    .map(([a, b, c]) => `${a} ${b} ${c}`)

  it('every malformed expectation is a UserError pointing at the target', () => {
    fc.assert(
      fc.property(expression, (text) => {
        const gate = `${HEAD}    expect: [${JSON.stringify(text)}]\n`
        cases++
        try {
          parseGate(Buffer.from(gate), FILE, OPTIONS)
        } catch (error) {
          if (!(error instanceof UserError)) throw error
          expect(error.issues.length).toBeGreaterThan(0)
          for (const issue of error.issues) if (issue.position) expect(issue.position.line).toBeGreaterThanOrEqual(6)
        }
      }),
      {numRuns: 400, seed: 10},
    )
  })
})

describe('through the CLI: exit 2, the file named, no stack trace', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-hostile-'))
  mkdirSync(path.join(dir, 'gates'))
  afterAll(() => rmSync(dir, {force: true, recursive: true}))

  it.each([
    [
      'alias-bomb',
      `version: 1\na: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c ` +
        `[*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n`,
    ],
    ['binary', '\u0000\u0001\u00ff\ufffe'],
    ['wrong-types', 'version: "one"\ntargets: {id: 3}\n'],
    ['bad-unit', `${HEAD}    expect: [p95(duration) < 10 parsecs]\n`],
  ])('%s', async (name, text) => {
    writeFileSync(path.join(dir, 'gates', `${name}.yaml`), text)
    const result = await runGate(['check', name], {cwd: dir})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${name}.yaml`)
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/)
    expect(result.stdout).toBe('')
  })
})
