// sha256Hex (src/hash.ts, @noble/hashes) must give what node:crypto gives: results files name their gate by it, and
// runs recorded before it came compare with runs recorded after.
import fc from 'fast-check'
import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {sha256Hex} from '../../src/hash.js'

const nodeSha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

describe('sha256Hex', () => {
  it("is node:crypto's SHA-256 of the same bytes, at every length around SHA-256's 64-byte blocks", () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 300}), (bytes) => {
        expect(sha256Hex(bytes)).toBe(nodeSha256(bytes))
      }),
      {numRuns: 500},
    )
  })

  it('takes a string as its UTF-8 bytes, as node:crypto does', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary', maxLength: 200}), (text) => {
        expect(sha256Hex(text)).toBe(nodeSha256(Buffer.from(text, 'utf8')))
      }),
      {numRuns: 300},
    )
  })

  it('matches the standard vectors (FIPS 180-2)', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    expect(sha256Hex(new Uint8Array(1_000_000).fill(0x61))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    )
  })
})
