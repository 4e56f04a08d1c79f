import {Config} from '@oclif/core'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import * as api from '../../../src/index.js'
import builtinHook, {builtinValidators} from '../../../src/validators/builtin.js'
import type {ValidatorsHookOptions} from '../../../src/validators/hook.js'
import {loadValidators, registerValidators} from '../../../src/validators/registry.js'
import {defineValidator, type Validator} from '../../../src/validators/types.js'

const PLUGIN_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/validators/plugin-root')

function fake(name: string, extra: Partial<Validator> = {}): Validator {
  return defineValidator({
    collect: async () => ({kind: 'measured', metrics: {}, source: name}),
    description: name,
    metrics: [],
    name,
    options: {type: 'object'},
    ...extra,
  })
}

describe('registerValidators', () => {
  it('indexes the builtin validators by name', () => {
    const {validators, warnings} = registerValidators([{plugin: 'phasegate', result: builtinValidators}])
    expect(warnings).toEqual([])
    expect([...validators.keys()]).toEqual(['command', 'claim', 'artifact', 'http', 'prometheus'])
    expect(validators.get('claim')?.plugin).toBe('phasegate')
  })

  it('skips malformed validators with a warning naming the plugin', () => {
    const {validators, warnings} = registerValidators([
      {
        plugin: 'gate-validator-x',
        result: [
          fake('ok'),
          {...fake('nocollect'), collect: 'no'},
          null,
          fake('bad', {options: {type: 'object', properties: {a: {type: 'strng'}}}}),
        ],
      },
      {plugin: 'gate-validator-y', result: {validators: []}},
      {
        plugin: 'gate-validator-z',
        result: [
          fake('spec', {metrics: [{description: '', dimension: 'furlongs', name: 'm', type: 'value'}] as never}),
        ],
      },
    ])
    expect([...validators.keys()]).toEqual(['ok'])
    expect(warnings).toEqual([
      'plugin gate-validator-x: validator "nocollect" is skipped: `collect` must be a function',
      'plugin gate-validator-x: validator #3 is skipped: expected an object, got null',
      expect.stringMatching(/^plugin gate-validator-x: validator "bad" is skipped: its options schema is not valid: /),
      'plugin gate-validator-y: the gate:validators hook must return an array of validators, got object',
      expect.stringContaining(
        'plugin gate-validator-z: validator "spec" is skipped: metric "m" has dimension "furlongs"',
      ),
    ])
  })

  it('keeps the first of two validators with the same name', () => {
    const first = fake('http')
    const {validators, warnings} = registerValidators([
      {plugin: 'phasegate', result: [first]},
      {plugin: 'gate-validator-http2', result: [fake('http')]},
    ])
    expect(validators.get('http')).toEqual({plugin: 'phasegate', validator: first})
    expect(warnings).toEqual([
      'plugin gate-validator-http2: validator "http" is skipped: plugin phasegate already provides a validator with ' +
        'that name',
    ])
  })
})

describe('loadValidators', () => {
  it('collects validators through the oclif hook and turns a failing hook into a warning', async () => {
    const config = await Config.load(PLUGIN_ROOT)
    const {validators, warnings} = await loadValidators(config)
    expect([...validators.keys()]).toEqual(['echo'])
    expect(validators.get('echo')?.plugin).toBe('gate-validator-fixture')
    expect(warnings).toEqual([
      'plugin gate-validator-fixture could not provide validators: cannot reach the license server',
      'plugin gate-validator-fixture: validator "broken" is skipped: `collect` must be a function',
    ])
  })

  it('asks oclif to capture hook errors instead of crashing', async () => {
    const calls: unknown[][] = []
    const config = {
      async runHook(...args: unknown[]) {
        calls.push(args)
        return {
          failures: [],
          successes: [{plugin: {name: 'phasegate'}, result: await builtinHook.call({} as never, {} as never)}],
        }
      },
    } as unknown as Config
    const {validators} = await loadValidators(config)
    expect(validators.size).toBe(5)
    expect(calls[0]?.[0]).toBe('gate:validators')
    expect(calls[0]?.[3]).toBe(true)
  })

  it(
    'hands every hook the host API, so a plugin builds its validators on the engine of the CLI that loads ' + 'it',
    async () => {
      let given: unknown
      const config = {
        async runHook(_event: string, options: ValidatorsHookOptions) {
          given = options.api
          const echo = options.api.defineValidator<{value: number}>({
            ...fake('echo'),
            options: {properties: {value: {type: 'number'}}, type: 'object'},
          })
          return {failures: [], successes: [{plugin: {name: 'gate-validator-echo'}, result: [echo]}]}
        },
      } as unknown as Config
      const {validators, warnings} = await loadValidators(config)
      expect(warnings).toEqual([])
      expect(given).toBe(api)
      expect(typeof api.runLoad).toBe('function')
      expect(typeof api.SampleReservoir).toBe('function')
      expect(validators.get('echo')?.plugin).toBe('gate-validator-echo')
    },
  )

  it('hands the hooks the validators a run needs, and asks them once', async () => {
    const asked: Array<readonly string[] | undefined> = []
    // A plugin that answers for what is needed only, as the bundled plugins do.
    const config = {
      async runHook(_event: string, options: ValidatorsHookOptions) {
        asked.push(options.needed)
        const all = ['echo', 'other'].filter((name) => !options.needed || options.needed.includes(name))
        return {failures: [], successes: [{plugin: {name: 'gate-validator-two'}, result: all.map((n) => fake(n))}]}
      },
    } as unknown as Config
    const found = await loadValidators(config, ['echo', 'echo'])
    expect([...found.validators.keys()]).toEqual(['echo'])
    expect(await loadValidators(config)).toMatchObject({
      validators: new Map([
        ['echo', expect.anything()],
        ['other', expect.anything()],
      ]),
    })
    expect(asked).toEqual([['echo'], undefined])
  })
})
