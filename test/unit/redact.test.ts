import {describe, expect, it} from 'vitest'

import {GateConfigError} from '../../src/errors.js'
import {createRedactor, MIN_SECRET_LENGTH, redactorFor} from '../../src/redact.js'

const urls = createRedactor([])

describe('URL passwords', () => {
  it('masks the password of every URL and keeps the user, host and the rest of the text', () => {
    expect(urls.text('node x.mjs "postgres://app:s3cret@127.0.0.1:5432/db" and redis://:pw@127.0.0.1:6379/0')).toBe(
      'node x.mjs "postgres://app:***@127.0.0.1:5432/db" and redis://:***@127.0.0.1:6379/0',
    )
  })

  it(
    'masks a password holding "@", a space, a quote, a slash or an escaped quote up to the "@" before the ' + 'host',
    () => {
      expect(urls.text('a postgres://u:p@ss@h/db b')).toBe('a postgres://u:***@h/db b')
      expect(urls.text('a postgres://u:pa ss@h:5432/db b')).toBe('a postgres://u:***@h:5432/db b')
      expect(urls.text('a postgres://u:pa"ss@h/db b')).toBe('a postgres://u:***@h/db b')
      expect(urls.text('a postgres://u:pa/ss@h/db b')).toBe('a postgres://u:***@h/db b')
      expect(urls.text('{"url":"postgres://u:p@w\\"d@h/db"}')).toBe('{"url":"postgres://u:***@h/db"}')
      expect(urls.text('http://h:8080/p?mail=a@b.org and redis://u:p@x@h:1')).toBe(
        'http://h:8080/p?mail=a@b.org and redis://u:***@h:1',
      )
    },
  )

  it('leaves URLs without a password, ports and plain text alone', () => {
    for (const text of [
      'http://127.0.0.1:8080/x',
      'postgres://app@host/db',
      'a:b@c',
      'time 12:30@noon',
      'mailto:me@example.org',
    ]) {
      expect(urls.text(text)).toBe(text)
    }
  })
})

describe('secret values', () => {
  it('replaces every occurrence, also inside longer words, and keeps the text around it', () => {
    const redactor = createRedactor(['tok3n-XYZ'])
    expect(redactor.text('Bearer tok3n-XYZ; again:tok3n-XYZtok3n-XYZ!')).toBe('Bearer ***; again:***!')
    expect(redactor.text('nothing secret here')).toBe('nothing secret here')
  })

  it(
    'replaces several secrets, and secrets that overlap or contain each other as one stretch, leaving no piece of ' +
      'either',
    () => {
      const redactor = createRedactor(['abcdef', 'defghi', 'cdef', 'other-secret'])
      expect(redactor.text('x abcdefghi y other-secret z cdef')).toBe('x *** y *** z ***')
      expect(createRedactor(['aaaa']).text('aaaaaa b')).toBe('*** b')
    },
  )

  it(
    'takes a value literally: regular-expression characters and $ replacement patterns have no special ' + 'meaning',
    () => {
      const value = String.raw`p@ss.w*rd$&(1)+[x]\d$1`
      const redactor = createRedactor([value])
      expect(redactor.text(`pw=${value} and pXssXwwrd`)).toBe('pw=*** and pXssXwwrd')
      expect(redactor.text('pass.word')).toBe('pass.word')
    },
  )

  it('redacts each line of a multi-line value too, as output quotes it a line at a time', () => {
    const redactor = createRedactor(['-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----'])
    expect(redactor.text('stderr: MIIEvQIBADANBg')).toBe('stderr: ***')
    expect(redactor.text('key: -----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----.')).toBe('key: ***.')
  })

  it(
    `leaves values shorter than ${MIN_SECRET_LENGTH} characters alone, which would garble every number and ` + `word`,
    () => {
      expect(createRedactor(['', '1', 'dev']).text('dev build 1.2.1')).toBe('dev build 1.2.1')
    },
  )

  it('redacts strings at any depth, object keys included, leaving other values and the input as they are', () => {
    const input = {
      n: 1,
      notes: ['pg postgres://u:p@h/d', 'said s3cr3t-v4lue'],
      ok: true,
      source: {'s3cr3t-v4lue': 'mysql://root:toor@h'},
    }
    expect(createRedactor(['s3cr3t-v4lue']).deep(input)).toEqual({
      n: 1,
      notes: ['pg postgres://u:***@h/d', 'said ***'],
      ok: true,
      source: {'***': 'mysql://root:***@h'},
    })
    expect(input.notes[1]).toBe('said s3cr3t-v4lue')
  })

  it("redacts an error's message, stack and issues, keeping its class, and passes anything else through", () => {
    const redactor = createRedactor(['s3cr3t-v4lue'])
    const error = redactor.error(
      new GateConfigError('gates/g.yaml', [
        {
          hint: 'not s3cr3t-v4lue',
          message: '"http" must be a URL (got "s3cr3t-v4lue")',
          position: {column: 3, file: 'gates/g.yaml', line: 4},
        },
      ]),
    )
    expect(error).toBeInstanceOf(GateConfigError)
    expect(error.describe()).toBe(
      'gates/g.yaml: a problem in the gate file; nothing was measured.\n  gates/g.yaml:4:3: "http" must be a URL ' +
        '(got "***") — not ***',
    )
    const plain = redactor.error(new TypeError('cannot parse s3cr3t-v4lue'))
    expect([plain.message, plain.stack?.includes('s3cr3t-v4lue')]).toEqual(['cannot parse ***', false])
    expect(redactor.error('s3cr3t-v4lue')).toBe('s3cr3t-v4lue')
  })
})

describe('redactorFor', () => {
  it('redacts the values of the named variables only, and warns about a set value too short to redact', () => {
    const env = {API_TOKEN: 'tok3n-XYZ', EMPTY: '', OTHER: 'not-a-secret', PIN: '123'}
    const redactor = redactorFor(['API_TOKEN', 'EMPTY', 'PIN', 'UNSET'], env)
    expect(redactor.text('tok3n-XYZ not-a-secret 123')).toBe('*** not-a-secret 123')
    expect(redactor.warnings).toEqual([
      `secret PIN is shorter than ${MIN_SECRET_LENGTH} characters, so it is not redacted from the output`,
    ])
    expect(redactorFor(['toString'], {}).text('toString')).toBe('toString')
  })
})
