import {describe, expect, it} from 'vitest'

import {classifyError, describeError, describeErrorCounts, emptyErrorCounts} from '../../../src/load/index.js'

const coded = (code: string, message = code): Error => Object.assign(new Error(message), {code})

describe('error kinds', () => {
  it.each([
    ['ECONNREFUSED', false, 'connect'],
    ['UND_ERR_CONNECT_TIMEOUT', false, 'connect'],
    ['UND_ERR_HEADERS_TIMEOUT', false, 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', true, 'timeout'],
    ['UND_ERR_RES_EXCEEDED_MAX_SIZE', true, 'body'],
    ['UND_ERR_SOCKET', true, 'body'],
    ['UND_ERR_SOCKET', false, 'reset'],
    ['ECONNRESET', false, 'reset'],
    ['HPE_INVALID_CONSTANT', false, 'other'],
    ['HPE_INVALID_CHUNK_SIZE', true, 'body'],
  ] as const)('%s (response started: %s) is %s', (code, started, kind) => {
    expect(classifyError(coded(code), started)).toBe(kind)
  })

  it('looks inside an AggregateError from a dual-stack connect', () => {
    expect(classifyError(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), false)).toBe('connect')
  })

  it('describes an error by its code, message and cause', () => {
    const error = Object.assign(new Error('other side closed', {cause: new Error('read ECONNRESET')}), {
      code: 'UND_ERR_SOCKET',
    })
    expect(describeError(error)).toBe('UND_ERR_SOCKET: other side closed: read ECONNRESET')
  })

  it('does not repeat a cause the message already names', () => {
    const cause = new Error('read ECONNRESET')
    expect(describeError(new Error('cannot connect: read ECONNRESET', {cause}))).toBe('cannot connect: read ECONNRESET')
  })

  it('tallies errors by kind with the first detail of each, in kind order, and says nothing when none happened', () => {
    expect(describeErrorCounts(emptyErrorCounts(), {})).toBeNull()
    const counts = {...emptyErrorCounts(), reset: 1, timeout: 1200}
    expect(describeErrorCounts(counts, {timeout: 'no answer in 10 s'})).toBe(
      '1,200 timeout (no answer in 10 s), 1 reset (no detail)',
    )
  })
})
