/**
 * An HTTP/1.x response parser that reads bytes in place and keeps nothing: the load engine needs a response's status,
 * where its body ends, its length and whether the connection stays open — no header strings, no body. http-parser-js
 * built strings, regex matches and an info object for every response (~1.7 KB), and at 1000 connections those
 * allocations made V8 grow its young generation mid-run (RSS 113 → 144 MB); without them one engine went from 23k to
 * 33k requests/s against the same server.
 * Framing follows RFC 9112 §6.3; errors carry the codes undici gives the same faults, so both transports read alike.
 */

import {failure} from './errors.js'

/** What a connection hears of each final response, in order. 1xx responses are read and passed over. */
export interface ResponseListener {
  /** The status line and headers are in; `keepAlive` false: the connection closes after this response. */
  onHead(status: number, keepAlive: boolean): void
  /** `length` more bytes of the body (chunked framing not counted). */
  onBody(length: number): void
  onComplete(): void
}

/** The status line and headers together, as Node's and undici's default (http.maxHeaderSize). */
export const MAX_HEAD_BYTES = 16 * 1024

const LF = 0x0a
const CR = 0x0d
const SP = 0x20
const HT = 0x09
const COLON = 0x3a
const COMMA = 0x2c
const SEMICOLON = 0x3b

// Where the parser is. A response starts in STATUS_LINE.
const STATUS_LINE = 0
const HEADER_NAME = 1
const HEADER_VALUE = 2
/** Just after a header line's LF: the next byte says whether the line goes on (obsolete folding) or ends. */
const HEADER_LINE_START = 3
const BODY_SIZED = 4
const BODY_UNTIL_CLOSE = 5
const CHUNK_SIZE = 6
/** Chunk extensions after ';': skipped to the end of the line, control bytes refused. */
const CHUNK_EXTENSION = 7
const CHUNK_DATA = 8
/** The CRLF after a chunk's data. */
const CHUNK_DATA_END = 9
const TRAILER = 10
/** Whitespace after a chunk's size: only more of it, ';' or the line's end may follow. */
const CHUNK_SIZE_SPACE = 11

// The headers that frame a response, as bits.
const CONTENT_LENGTH = 1
const TRANSFER_ENCODING = 2
const CONNECTION = 4
const HEADER_NAMES = ['content-length', 'transfer-encoding', 'connection'] as const
const ALL_HEADERS = CONTENT_LENGTH | TRANSFER_ENCODING | CONNECTION

// The list tokens that matter in Transfer-Encoding and Connection, as bits.
const CHUNKED = 1
const CLOSE = 2
const KEEP_ALIVE = 4
const TOKENS = ['chunked', 'close', 'keep-alive'] as const
const ALL_TOKENS = CHUNKED | CLOSE | KEEP_ALIVE

/** Past this a length cannot be exact in a double: 2^53. */
const MAX_LENGTH = Number.MAX_SAFE_INTEGER

/** RFC 9110 tchar: the bytes a header name may hold. */
const TOKEN_CHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHAR[c.charCodeAt(0)] = 1
}

/** The error undici reports for a response that breaks the protocol. */
function protocolError(code: string, reason: string): Error {
  return failure(`HPE_${code}`, `Response does not match the HTTP/1.1 protocol (${reason})`)
}

function lower(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  const c = lower(byte)
  return c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : -1
}

/** Which of `names` (a bitmask of candidates) still match after `byte` at `index`, ignoring case. */
function narrow(candidates: number, names: readonly string[], index: number, byte: number): number {
  const c = lower(byte)
  let left = 0
  for (let bit = 0; bit < names.length; bit++) {
    const mask = 1 << bit
    if (candidates & mask && names[bit]!.charCodeAt(index) === c) left |= mask
  }

  return left
}

/** The candidates whose whole name is `length` long. */
function complete(candidates: number, names: readonly string[], length: number): number {
  let whole = 0
  for (let bit = 0; bit < names.length; bit++) {
    if (candidates & (1 << bit) && names[bit]!.length === length) whole |= 1 << bit
  }

  return whole
}

export class ResponseParser {
  private state = STATUS_LINE
  /** A CR was read in a line: only LF may follow. */
  private sawCR = false
  /** Bytes of this response's head so far (status line, headers, or a chunked body's trailers). */
  private headBytes = 0
  /** Position in the current line: the status line's column, or a header name's length. */
  private column = 0
  private status = 0
  private minor = 0
  /** The header being read: one of the framing headers' bits, or 0 for any other. */
  private header = 0
  private headerCandidates = 0
  /** The list element being read in a Connection or Transfer-Encoding value. */
  private tokenCandidates = 0
  private tokenLength = 0
  /** The element's token has ended at whitespace or ';': anything after it but whitespace makes it unknown. */
  private tokenEnded = false
  private tokensSeen = 0
  /** The trailer line being read is past its colon. */
  private trailerValue = false
  /** Transfer-Encoding has been seen, and whether its last coding is chunked. */
  private transferEncoding = false
  private lastCodingChunked = false
  /** Content-Length's value, -1 while absent; the element being read, -1 before its first digit. */
  private contentLength = -1
  private lengthElement = -1
  private lengthElementEnded = false
  /** Body bytes left: of a sized body, or of the current chunk. */
  private remaining = 0

  constructor(
    private readonly listener: ResponseListener,
    /** The request was HEAD: no response to it has a body, whatever its headers say. */
    private readonly bodyless = false,
  ) {}

  /** Reads `data[start, end)`: null, or the error that makes the rest of the connection unreadable. */
  execute(data: Uint8Array, start: number, end: number): Error | null {
    let i = start
    while (i < end) {
      const state = this.state
      if (state === BODY_SIZED || state === CHUNK_DATA) {
        const length = Math.min(this.remaining, end - i)
        this.remaining -= length
        i += length
        this.listener.onBody(length)
        if (this.remaining === 0) {
          if (state === BODY_SIZED) this.complete()
          else this.state = CHUNK_DATA_END
        }

        continue
      }

      if (state === BODY_UNTIL_CLOSE) {
        this.listener.onBody(end - i)
        return null
      }

      const error = this.byte(data[i]!)
      if (error !== null) return error
      i++
    }

    return null
  }

  /** The connection ended: a body that runs to its end is complete. Anything else half-read stays unfinished. */
  finish(): void {
    if (this.state === BODY_UNTIL_CLOSE) this.complete()
  }

  /** One byte of a line-based part: the head, a chunk's size line or its end, the trailers. */
  private byte(byte: number): Error | null {
    // Empty lines before a status line are passed over, as llhttp (Node's and undici's parser) does.
    if (this.state === STATUS_LINE && this.column === 0 && !this.sawCR && (byte === CR || byte === LF)) return null
    if (this.state !== CHUNK_DATA_END && ++this.headBytes > MAX_HEAD_BYTES) {
      return failure('UND_ERR_HEADERS_OVERFLOW', 'Headers Overflow Error')
    }

    if (this.sawCR) {
      this.sawCR = false
      if (byte !== LF) return protocolError('LF_EXPECTED', 'Missing expected LF after CR')
      return this.lineEnd()
    }

    if (byte === CR) {
      this.sawCR = true
      return null
    }

    if (byte === LF) return this.lineEnd()
    switch (this.state) {
      case STATUS_LINE: {
        return this.statusByte(byte)
      }

      case HEADER_LINE_START: {
        // Obsolete line folding: the value goes on, the fold read as a space (RFC 9112 §5.2).
        if (byte === SP || byte === HT) {
          this.state = HEADER_VALUE
          return this.valueByte(SP)
        }

        this.state = HEADER_NAME
        return this.endHeader() ?? this.nameByte(byte)
      }

      case HEADER_NAME: {
        return this.nameByte(byte)
      }

      case HEADER_VALUE: {
        return this.valueByte(byte)
      }

      case CHUNK_SIZE: {
        return this.chunkSizeByte(byte)
      }

      case CHUNK_DATA_END: {
        return protocolError('STRICT', 'Expected CRLF after chunk')
      }

      case CHUNK_SIZE_SPACE: {
        if (byte === SP || byte === HT) return null
        if (byte !== SEMICOLON) return protocolError('INVALID_CHUNK_SIZE', 'Invalid character in chunk size')
        this.state = CHUNK_EXTENSION
        return null
      }

      case CHUNK_EXTENSION: {
        return byte < SP && byte !== HT ? protocolError('STRICT', 'Invalid character in chunk extensions') : null
      }

      default: {
        return this.trailerByte(byte)
      }
    }
  }

  /** A trailer line is read as a header line whose value is not kept: a name, a colon, text. */
  private trailerByte(byte: number): Error | null {
    if (byte < SP && byte !== HT) return protocolError('INVALID_HEADER_TOKEN', 'Invalid character in trailers')
    if (this.trailerValue) return null
    if (byte === COLON && this.column > 0) {
      this.trailerValue = true
      return null
    }

    if (byte >= 128 || TOKEN_CHAR[byte] !== 1) return protocolError('INVALID_HEADER_TOKEN', 'Invalid trailer name')
    this.column++
    return null
  }

  private statusByte(byte: number): Error | null {
    const column = this.column++
    if (column < 5) {
      return byte === 'HTTP/'.charCodeAt(column) ? null : protocolError('INVALID_CONSTANT', 'Expected HTTP/')
    }

    // HTTP/1.0 and HTTP/1.1 only: this is an HTTP/1 client, and llhttp refuses the rest too.
    if (column === 5) return byte === 0x31 ? null : protocolError('INVALID_VERSION', 'Invalid HTTP version')
    if (column === 7) {
      if (byte !== 0x30 && byte !== 0x31) return protocolError('INVALID_VERSION', 'Invalid HTTP version')
      this.minor = byte - 0x30
      return null
    }

    if (column === 6) return byte === 0x2e ? null : protocolError('INVALID_VERSION', 'Invalid HTTP version')
    if (column === 8 || column === 12) {
      return byte === SP ? null : protocolError('INVALID_STATUS', 'Invalid status code')
    }

    if (column < 12) {
      if (byte < 0x30 || byte > 0x39) return protocolError('INVALID_STATUS', 'Invalid status code')
      this.status = this.status * 10 + byte - 0x30
      return null
    }

    // The reason phrase: any text.
    return byte < SP && byte !== HT ? protocolError('INVALID_STATUS', 'Invalid reason phrase') : null
  }

  private nameByte(byte: number): Error | null {
    if (byte === COLON) {
      if (this.column === 0) return protocolError('INVALID_HEADER_TOKEN', 'Empty header name')
      this.header = complete(this.headerCandidates, HEADER_NAMES, this.column)
      this.state = HEADER_VALUE
      return null
    }

    if (byte >= 128 || TOKEN_CHAR[byte] !== 1) {
      return protocolError('INVALID_HEADER_TOKEN', 'Invalid header field char')
    }

    if (this.column === 0) this.headerCandidates = ALL_HEADERS
    this.headerCandidates = narrow(this.headerCandidates, HEADER_NAMES, this.column++, byte)
    return null
  }

  private valueByte(byte: number): Error | null {
    if (byte < SP && byte !== HT) return protocolError('INVALID_HEADER_TOKEN', 'Invalid header value char')
    const {header} = this
    if (header === CONTENT_LENGTH) return this.lengthByte(byte)
    if (header !== 0) this.tokenByte(byte)
    return null
  }

  /** Content-Length: digits, or a list of the same digits ("42, 42", RFC 9110 §8.6). */
  private lengthByte(byte: number): Error | null {
    if (byte === SP || byte === HT) {
      if (this.lengthElement >= 0) this.lengthElementEnded = true
      return null
    }

    if (byte === COMMA) return this.endLengthElement()
    if (byte < 0x30 || byte > 0x39 || this.lengthElementEnded) {
      return protocolError('INVALID_CONTENT_LENGTH', 'Invalid character in Content-Length')
    }

    const value = Math.max(0, this.lengthElement) * 10 + byte - 0x30
    if (value > MAX_LENGTH) return protocolError('INVALID_CONTENT_LENGTH', 'Content-Length overflow')
    this.lengthElement = value
    return null
  }

  private endLengthElement(): Error | null {
    const value = this.lengthElement
    this.lengthElement = -1
    this.lengthElementEnded = false
    if (value < 0) return protocolError('INVALID_CONTENT_LENGTH', 'Empty Content-Length')
    if (this.contentLength >= 0 && this.contentLength !== value) {
      return protocolError('UNEXPECTED_CONTENT_LENGTH', 'Duplicate Content-Length')
    }

    this.contentLength = value
    return null
  }

  /** One byte of a comma-separated token list (Transfer-Encoding, Connection); a token with parameters is unknown. */
  private tokenByte(byte: number): void {
    if (byte === COMMA) {
      this.endToken()
      return
    }

    if (byte === SP || byte === HT) {
      if (this.tokenLength > 0) this.tokenEnded = true
      return
    }

    if (this.tokenEnded || byte === SEMICOLON) {
      // A second word or parameters: not one of the tokens, as llhttp reads "chunked x" or "chunked;q=1".
      this.tokenCandidates = 0
      this.tokenEnded = true
      return
    }

    if (this.tokenLength === 0) this.tokenCandidates = ALL_TOKENS
    this.tokenCandidates = narrow(this.tokenCandidates, TOKENS, this.tokenLength++, byte)
  }

  private endToken(): void {
    if (this.tokenLength > 0) {
      const token = complete(this.tokenCandidates, TOKENS, this.tokenLength)
      if (this.header === TRANSFER_ENCODING) this.lastCodingChunked = token === CHUNKED
      else this.tokensSeen |= token
    }

    this.tokenLength = 0
    this.tokenEnded = false
  }

  /** A header line is over (its value cannot go on): what it said is settled. */
  private endHeader(): Error | null {
    const {header} = this
    if (header === TRANSFER_ENCODING) this.transferEncoding = true
    if (header !== 0 && header !== CONTENT_LENGTH) this.endToken()
    this.header = 0
    this.column = 0
    return header === CONTENT_LENGTH ? this.endLengthElement() : null
  }

  private lineEnd(): Error | null {
    switch (this.state) {
      case STATUS_LINE: {
        if (this.column < 12) return protocolError('INVALID_STATUS', 'Invalid status line')
        this.state = HEADER_NAME
        this.column = 0
        return null
      }

      case HEADER_NAME: {
        if (this.column > 0) return protocolError('INVALID_HEADER_TOKEN', 'Header line without a colon')
        return this.headEnd()
      }

      case HEADER_VALUE: {
        this.state = HEADER_LINE_START
        return null
      }

      case HEADER_LINE_START: {
        const error = this.endHeader()
        return error ?? this.headEnd()
      }

      case CHUNK_SIZE: {
        if (this.column === 0) return protocolError('INVALID_CHUNK_SIZE', 'Invalid character in chunk size')
        this.chunkSizeEnd()
        return null
      }

      case CHUNK_EXTENSION:
      case CHUNK_SIZE_SPACE: {
        this.chunkSizeEnd()
        return null
      }

      case CHUNK_DATA_END: {
        this.chunkSizeStart()
        return null
      }

      default: {
        // TRAILER: an empty line ends the response.
        if (this.column === 0 && !this.trailerValue) {
          this.complete()
          return null
        }

        if (!this.trailerValue) return protocolError('INVALID_HEADER_TOKEN', 'Trailer line without a colon')
        this.column = 0
        this.trailerValue = false
        return null
      }
    }
  }

  /** The head is in: how the body is framed (RFC 9112 §6.3), then the listener hears of it. */
  private headEnd(): Error | null {
    const {status} = this
    if (status === 101) {
      // Nothing here asks to switch protocols: what follows would not be HTTP.
      return protocolError('PAUSED_UPGRADE', 'Switching Protocols without an upgrade request')
    }

    if (status >= 100 && status < 200) {
      // An interim response: the final one follows on the same request.
      this.reset()
      return null
    }

    const persistent = this.minor === 1
    const {tokensSeen} = this
    let keepAlive = tokensSeen & CLOSE ? false : persistent || (tokensSeen & KEEP_ALIVE) !== 0
    if (this.bodyless || status === 204 || status === 304) {
      this.listener.onHead(status, keepAlive)
      this.complete()
      return null
    }

    if (this.transferEncoding) {
      // Both at once may be smuggling (RFC 9112 §6.3); undici refuses it over https, so this does over http.
      if (this.contentLength >= 0) {
        return protocolError('INVALID_TRANSFER_ENCODING', "Content-Length can't be present with Transfer-Encoding")
      }

      // Transfer-Encoding in HTTP/1.0 is faulty framing: the connection closes after it (RFC 9112 §6.1).
      if (!persistent) keepAlive = false
      if (this.lastCodingChunked) {
        this.chunkSizeStart()
      } else {
        keepAlive = false
        this.state = BODY_UNTIL_CLOSE
      }
    } else if (this.contentLength >= 0) {
      this.state = BODY_SIZED
      this.remaining = this.contentLength
    } else {
      keepAlive = false
      this.state = BODY_UNTIL_CLOSE
    }

    this.listener.onHead(status, keepAlive)
    if (this.state === BODY_SIZED && this.remaining === 0) this.complete()
    return null
  }

  /** A chunk's size line is next; it and its extensions are held to the head's limit, line by line. */
  private chunkSizeStart(): void {
    this.state = CHUNK_SIZE
    this.column = 0
    this.remaining = 0
    this.headBytes = 0
  }

  private chunkSizeByte(byte: number): Error | null {
    const digit = hexValue(byte)
    if (digit < 0) {
      if (this.column > 0 && (byte === SEMICOLON || byte === SP || byte === HT)) {
        this.state = byte === SEMICOLON ? CHUNK_EXTENSION : CHUNK_SIZE_SPACE
        return null
      }

      return protocolError('INVALID_CHUNK_SIZE', 'Invalid character in chunk size')
    }

    this.column++
    const size = this.remaining * 16 + digit
    if (size > MAX_LENGTH) return protocolError('INVALID_CHUNK_SIZE', 'Chunk size overflow')
    this.remaining = size
    return null
  }

  private chunkSizeEnd(): void {
    this.column = 0
    if (this.remaining === 0) {
      // The last chunk: trailers follow, counted against the head's limit.
      this.state = TRAILER
      this.headBytes = 0
    } else {
      this.state = CHUNK_DATA
    }
  }

  private complete(): void {
    this.reset()
    this.listener.onComplete()
  }

  /** Ready for the next response on the connection. */
  private reset(): void {
    this.state = STATUS_LINE
    this.sawCR = false
    this.headBytes = 0
    this.column = 0
    this.status = 0
    this.minor = 0
    this.header = 0
    this.headerCandidates = 0
    this.tokenCandidates = 0
    this.tokenLength = 0
    this.tokenEnded = false
    this.tokensSeen = 0
    this.trailerValue = false
    this.transferEncoding = false
    this.lastCodingChunked = false
    this.contentLength = -1
    this.lengthElement = -1
    this.lengthElementEnded = false
    this.remaining = 0
  }
}
