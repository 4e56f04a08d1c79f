// SHA-256 from @noble/hashes (audited, pure JavaScript): node:crypto loads some twenty modules of Node's
// (~8-12 ms of a start here), and a one-target check needs nothing else of it than the gate file's digest.
import {sha256} from '@noble/hashes/sha2.js'
import {bytesToHex, utf8ToBytes} from '@noble/hashes/utils.js'

/** The SHA-256 of the bytes (a string as its UTF-8), in lowercase hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === 'string' ? utf8ToBytes(data) : data))
}
