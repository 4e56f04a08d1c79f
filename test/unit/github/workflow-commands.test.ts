import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {annotation, escapeData, escapeProperty} from '../../../src/github/workflow-commands.js'
import {parseWorkflowCommand} from './runner-commands.js'

/** Text built from what breaks a workflow command: separators, escapes, line breaks, other commands. */
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%',
        '%25',
        '%0A',
        '%3A',
        ':',
        '::',
        ',',
        '=',
        '\r',
        '\n',
        '\r\n',
        '::error::x',
        '::stop-commands::t',
        'file=x',
        ' ',
      ),
      fc.string({maxLength: 6}),
    ),
    {maxLength: 10},
  )
  .map((parts) => parts.join(''))
  // The runner trims the line and the property list, so whitespace at their ends is not ours to keep.
  .map((text) => text.trim())

describe('workflow commands', () => {
  it('escape data and properties the way GitHub documents', () => {
    expect(escapeData('50% done\r\nnext')).toBe('50%25 done%0D%0Anext')
    expect(escapeProperty('a: b, c%\n')).toBe('a%3A b%2C c%25%0A')
  })

  it('any message and property values read back unchanged, as one command on one line', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, fc.nat(100_000), (message, title, file, line) => {
        const text = annotation('error', message, {file, line, title})
        expect(text).not.toMatch(/[\r\n]/)
        const parsed = parseWorkflowCommand(text)
        expect(parsed.command).toBe('error')
        expect(parsed.message).toBe(message)
        // The runner drops empty keys and values; ours never writes one.
        expect(parsed.properties).toEqual({...(file ? {file} : {}), line: String(line), ...(title ? {title} : {})})
      }),
    )
  })

  it('leaves out properties without a value', () => {
    expect(annotation('warning', 'm', {file: undefined, line: undefined, title: ''})).toBe('::warning::m')
  })
})
