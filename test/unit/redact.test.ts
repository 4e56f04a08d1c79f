import {describe, expect, it} from 'vitest'

import {maskDeep, maskUrlPasswords} from '../../src/redact.js'

describe('maskUrlPasswords', () => {
  it('masks the password of every URL and keeps the user, host and the rest of the text', () => {
    expect(maskUrlPasswords('node x.mjs "postgres://app:s3cret@127.0.0.1:5432/db" and redis://:pw@127.0.0.1:6379/0'))
      .toBe('node x.mjs "postgres://app:***@127.0.0.1:5432/db" and redis://:***@127.0.0.1:6379/0')
  })

  it('leaves URLs without a password, ports and plain text alone', () => {
    for (const text of ['http://127.0.0.1:8080/x', 'postgres://app@host/db', 'a:b@c', 'time 12:30@noon', 'mailto:me@example.org']) {
      expect(maskUrlPasswords(text)).toBe(text)
    }
  })

  it('masks strings at any depth, leaving keys and other values as they are', () => {
    expect(maskDeep({n: 1, notes: ['pg postgres://u:p@h/d'], source: {url: 'mysql://root:toor@h'}})).toEqual({n: 1, notes: ['pg postgres://u:***@h/d'], source: {url: 'mysql://root:***@h'}})
  })
})
