// The stand-ins the bundle puts in oclif's code (scripts/stand-ins/, scripts/bundle.mjs): each must answer as the
// package it stands for, and load that package only when it cannot.
import fc from 'fast-check'
import {createRequire} from 'node:module'
import {describe, expect, it} from 'vitest'

const require = createRequire(import.meta.url)
const onFirstUse = require('../../scripts/stand-ins/on-first-use.cjs')
const fastPaths = require('../../scripts/stand-ins/fast-paths.cjs')
const ejs = require('ejs')
const {minimatch} = require('minimatch')

/** The stand-in for `real`, and how many times it has loaded it. */
function standIn(name: 'ejs' | 'minimatch', real: unknown): {loads: () => number; module: any} {
  let loads = 0
  const load = () => (loads++, real)
  return {loads: () => loads, module: onFirstUse(load, fastPaths[name](load))}
}

describe('onFirstUse', () => {
  it('loads nothing until a property is read, then answers as the module', () => {
    let loads = 0
    const real = {answer: 42, nested: {a: 1}}
    const module = onFirstUse(() => (loads++, real), {own: 'mine'})
    expect(module.__esModule).toBeUndefined()
    expect(module.own).toBe('mine')
    expect(loads).toBe(0)
    expect(module.answer).toBe(42)
    expect('nested' in module).toBe(true)
    expect(Object.keys(module)).toEqual(['answer', 'nested'])
    expect({...module}).toEqual(real)
    expect(loads).toBeGreaterThan(0)
  })
})

describe('the ejs fast path', () => {
  const data = {command: {id: 'check'}, config: {bin: 'gate', scopedEnvVarKey: (k: string) => `GATE_${k}`}}
  const text = fc.oneof(
    fc.string({maxLength: 80, unit: 'grapheme'}),
    fc
      .array(fc.constantFrom('a', ' ', '%', '<', '>', '\n', '\\', '"', "'", '$', '-', '_', '=', '100%'), {
        maxLength: 24,
      })
      .map((parts) => parts.join('')),
  )

  it('renders any text as ejs does, with or without tags', () => {
    fc.assert(
      fc.property(text, (template) => {
        let expected: unknown
        try {
          expected = ejs.render(template, data)
        } catch (error) {
          expected = error instanceof Error ? error.constructor : error
        }
        let actual: unknown
        try {
          actual = standIn('ejs', ejs).module.render(template, data)
        } catch (error) {
          actual = error instanceof Error ? error.constructor : error
        }
        expect(actual).toEqual(expected)
      }),
      {numRuns: 2000},
    )
  })

  it('loads ejs only for a text with a tag in it, or data that sets a delimiter', () => {
    const plain = standIn('ejs', ejs)
    expect(plain.module.render('Cache hit rate ≥ 90% at 100% load', data)).toBe('Cache hit rate ≥ 90% at 100% load')
    expect(plain.loads()).toBe(0)
    const tagged = standIn('ejs', ejs)
    expect(tagged.module.render('Display help for <%= config.bin %>.', data)).toBe('Display help for gate.')
    expect(tagged.loads()).toBe(1)
    const delimited = standIn('ejs', ejs)
    expect(delimited.module.render('a ?%= x %? b', {delimiter: '?', x: 1})).toBe(
      ejs.render('a ?%= x %? b', {delimiter: '?', x: 1}),
    )
    expect(delimited.loads()).toBe(1)
  })
})

describe('the minimatch fast path', () => {
  const name = fc.stringMatching(/^(@[a-zA-Z0-9][\w.-]{0,8}\/)?[a-zA-Z0-9][\w.-]{0,12}$/)
  const anything = fc.string({maxLength: 16})

  it('matches as minimatch does: names, globs and anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(name, anything),
        fc.oneof(name, anything, fc.constantFrom('@oclif/*', '*', '!x', '#x')),
        (path, pattern) => {
          expect(standIn('minimatch', {minimatch}).module.minimatch(path, pattern)).toBe(minimatch(path, pattern))
        },
      ),
      {numRuns: 3000},
    )
  })

  it("answers oclif's core-plugin matching without loading minimatch", () => {
    const matcher = standIn('minimatch', {minimatch})
    const plugins = ['@oclif/plugin-help', '@oclif/plugin-plugins', 'gate-validator-db']
    const dependencies = ['@oclif/core', '@oclif/plugin-help', 'gate-validator-db', 'yaml']
    const matched = dependencies.filter((dependency) => plugins.some((p) => matcher.module.minimatch(dependency, p)))
    expect(matched).toEqual(['@oclif/plugin-help', 'gate-validator-db'])
    expect(matcher.loads()).toBe(0)
    expect(matcher.module.minimatch('@oclif/plugin-help', '@oclif/*')).toBe(true)
    expect(matcher.loads()).toBe(1)
  })
})

describe("compareIds, for oclif's sort of command ids", () => {
  it('orders as localeCompare does: simple ids, ids with capitals or other characters, anything', () => {
    const simple = fc.stringMatching(/^[-:0-9a-z]{0,10}$/)
    const mixed = fc.stringMatching(/^[-:_.0-9a-zA-Z ]{0,8}$/)
    fc.assert(
      fc.property(fc.oneof(simple, mixed, fc.string()), fc.oneof(simple, mixed, fc.string()), (a, b) => {
        expect(fastPaths.compareIds(a, b)).toBe(Math.sign(a.localeCompare(b)))
      }),
      {numRuns: 20_000},
    )
    const ids = [
      'plugins:install',
      'plugins',
      'baseline:show',
      'baseline-x',
      'baseline',
      'check',
      'autocomplete:create',
    ]
    expect([...ids].sort(fastPaths.compareIds)).toEqual([...ids].sort((a, b) => a.localeCompare(b)))
  })
})

describe('the wsl-utils stand-in', () => {
  it('gives the isWsl of wsl-utils and its powerShellPath', async () => {
    const standInModule = await import('../../scripts/stand-ins/wsl-utils.js' as string)
    const real = await import('wsl-utils' as string)
    expect(standInModule.isWsl).toBe(real.isWsl)
    expect(typeof standInModule.powerShellPath).toBe('function')
  })
})
