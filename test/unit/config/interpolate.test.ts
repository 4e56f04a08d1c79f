import {describe, expect, it} from 'vitest'

import {
  expandServiceRefs,
  interpolateString,
  referenceOf,
  type InterpolationContext,
} from '../../../src/config/interpolate.js'
import {UserError} from '../../../src/errors.js'

const context: InterpolationContext = {
  args: new Map([
    ['db', 'state.sqlite'],
    ['url', undefined],
  ]),
  env: {HOME: '/home/me', EMPTY: ''},
  gateDir: '/project/gates',
  services: new Map([
    ['api', {hasUrl: true}],
    ['worker', {hasUrl: false}],
  ]),
}

describe('referenceOf', () => {
  it('knows exactly four forms', () => {
    expect(referenceOf('env.HOME')).toEqual({kind: 'env', name: 'HOME'})
    expect(referenceOf('args.db-url')).toEqual({kind: 'arg', name: 'db-url'})
    expect(referenceOf(' gate.dir ')).toEqual({kind: 'gate.dir'})
    expect(referenceOf('services.api-2.url')).toEqual({kind: 'service', name: 'api-2'})
    for (const other of [
      'HOME',
      'env.',
      'env.A.B',
      'gate.file',
      'services.api',
      'services.api.port',
      'env.constructor()',
      '1+1',
      'args.',
      'args.a.b',
    ]) {
      expect(referenceOf(other)).toBeUndefined()
    }
  })
})

describe('interpolateString', () => {
  it('expands variables and the gate directory, including empty values', () => {
    expect(interpolateString('${gate.dir}/data:${env.HOME}:${env.EMPTY}:', context)).toEqual({
      problems: [],
      text: '/project/gates/data:/home/me::',
    })
  })

  it('expands gate arguments, and names the one without a value or with a typo', () => {
    expect(interpolateString('sqlite:${args.db}', context)).toEqual({problems: [], text: 'sqlite:state.sqlite'})
    expect(
      interpolateString('${args.url} ${args.dbb}', context).problems.map(({hint, message}) => [message, hint]),
    ).toEqual([
      ['argument url has no value', 'pass --arg url=VALUE, or give it a default under args.url'],
      ['unknown argument "dbb" in ${args.dbb}', 'did you mean ${args.db}?'],
    ])
  })

  it('leaves service URLs for later', () => {
    expect(interpolateString('${services.api.url}/health', context)).toEqual({
      problems: [],
      text: '${services.api.url}/health',
    })
  })

  it('reports each problem at the offset of its ${', () => {
    const {problems} = interpolateString('a ${env.NOPE} b ${services.worker.url} c ${toString} d ${', context)
    expect(problems.map((problem) => [problem.offset, problem.message])).toEqual([
      [2, 'environment variable NOPE is not set'],
      [16, 'service "worker" has no URL for ${services.worker.url}'],
      [41, '"${toString}" cannot be expanded'],
      [55, '"${" is not closed'],
    ])
  })

  it('does not read inherited properties as variables', () => {
    expect(interpolateString('${env.constructor}', context).problems[0]?.message).toBe(
      'environment variable constructor is not set',
    )
  })
})

describe('expandServiceRefs', () => {
  const services = {api: {url: 'http://127.0.0.1:4000'}, worker: {}}

  it('replaces URLs deep inside objects and arrays and leaves other values alone', () => {
    const options = {
      headers: {origin: '${services.api.url}'},
      n: 3,
      ok: true,
      none: null,
      urls: ['${services.api.url}/a', 'x'],
    }
    expect(expandServiceRefs(options, services)).toEqual({
      headers: {origin: 'http://127.0.0.1:4000'},
      n: 3,
      none: null,
      ok: true,
      urls: ['http://127.0.0.1:4000/a', 'x'],
    })
    expect(options.urls[0]).toBe('${services.api.url}/a')
  })

  it('leaves every other ${...} as it is', () => {
    expect(expandServiceRefs('${env.X} ${services.api.port}', services)).toBe('${env.X} ${services.api.port}')
  })

  it('throws a UserError for a service without a URL or not running', () => {
    expect(() => expandServiceRefs({u: '${services.worker.url}'}, services)).toThrow(UserError)
    expect(() => expandServiceRefs(['${services.worker.url}'], services)).toThrow(
      /cannot expand \$\{services\.worker\.url\}/,
    )
    expect(() => expandServiceRefs('${services.constructor.url}', services)).toThrow(UserError)
  })
})
