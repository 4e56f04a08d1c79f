import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {MAX_HEAD_BYTES, ResponseParser} from '../../../src/load/response-parser.js'

interface Heard {
  responses: Array<{status: number; keepAlive: boolean; bytes: number; complete: boolean}>
  error: Error | null
}

/** Feeds `wire` in pieces cut at `cuts`, then the end of the connection when `closes`; what the listener heard. */
function parse(wire: string | Buffer, {bodyless = false, closes = false, cuts = [] as number[]} = {}): Heard {
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire
  const heard: Heard = {error: null, responses: []}
  const parser = new ResponseParser(
    {
      onBody: (length) => (heard.responses.at(-1)!.bytes += length),
      onComplete: () => (heard.responses.at(-1)!.complete = true),
      onHead: (status, keepAlive) => heard.responses.push({bytes: 0, complete: false, keepAlive, status}),
    },
    bodyless,
  )
  const edges = [...new Set([0, ...cuts.filter((cut) => cut > 0 && cut < bytes.length), bytes.length])].sort(
    (a, b) => a - b,
  )
  // A shared buffer, as the socket's: the parser must not keep a view of it between reads.
  const shared = Buffer.alloc(bytes.length)
  for (let i = 1; i < edges.length; i++) {
    shared.fill(0xff)
    const piece = bytes.subarray(edges[i - 1], edges[i])
    piece.copy(shared)
    heard.error = parser.execute(shared, 0, piece.length)
    if (heard.error) return heard
  }

  if (closes) parser.finish()
  return heard
}

const ok = (status: number, bytes: number, keepAlive = true) => ({bytes, complete: true, keepAlive, status})

describe('response parser: framing', () => {
  it('reads a sized body and the next response on the same connection', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello' +
      'HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno!'
    expect(parse(wire)).toEqual({error: null, responses: [ok(200, 5), ok(404, 3)]})
  })

  it('counts chunked bodies without their framing, extensions and trailers skipped', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;name=value\r\nhello\r\nA \r\n0123456789\r\n0\r\nExpires: never\r\n\r\n'
    expect(parse(wire)).toEqual({error: null, responses: [ok(200, 15)]})
  })

  it('reads a body without length or chunking to the end of the connection, which then closes', () => {
    const wire = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello there'
    expect(parse(wire).responses).toEqual([{bytes: 11, complete: false, keepAlive: false, status: 200}])
    expect(parse(wire, {closes: true}).responses).toEqual([ok(200, 11, false)])
  })

  it('leaves a sized body cut short by the connection unfinished', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf', {closes: true}).responses).toEqual([
      {bytes: 4, complete: false, keepAlive: true, status: 200},
    ])
  })

  it('expects no body after HEAD, 204 or 304, whatever the headers say', () => {
    const head = parse('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', {bodyless: true})
    expect(head.responses).toEqual([ok(200, 0), ok(200, 0)])
    for (const status of [204, 304]) {
      expect(parse(`HTTP/1.1 ${status} X\r\nTransfer-Encoding: chunked\r\n\r\n`).responses).toEqual([ok(status, 0)])
    }
  })

  it('passes over interim 1xx responses: the final one is the answer', () => {
    const wire =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' +
      'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'
    expect(parse(wire)).toEqual({error: null, responses: [ok(201, 2)]})
  })

  it('keeps HTTP/1.1 connections open unless told to close, and HTTP/1.0 ones only when told to keep them', () => {
    const keep = (version: string, connection: string) =>
      parse(`HTTP/${version} 200 OK\r\n${connection}Content-Length: 0\r\n\r\n`).responses[0]!.keepAlive
    expect(keep('1.1', '')).toBe(true)
    expect(keep('1.1', 'Connection: close\r\n')).toBe(false)
    expect(keep('1.1', 'connection: Upgrade, CLOSE\r\n')).toBe(false)
    expect(keep('1.0', '')).toBe(false)
    expect(keep('1.0', 'Connection: Keep-Alive\r\n')).toBe(true)
    expect(keep('1.0', 'Connection: keep-alive\r\nConnection: close\r\n')).toBe(false)
    // Words that only start like a known token are other tokens.
    expect(keep('1.1', 'Connection: closed\r\n')).toBe(true)
    expect(keep('1.0', 'Connection: keep-alive-ish\r\n')).toBe(false)
  })

  it('reads a body to the end of the connection when chunked is not the last coding', () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello'
    expect(parse(wire, {closes: true}).responses).toEqual([ok(200, 8, false)])
  })

  it('takes a repeated Content-Length that agrees, bare LF line ends and folded header lines', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok').responses).toEqual([
      ok(200, 2),
    ])
    expect(parse('HTTP/1.1 200 OK\nContent-Length: 2\n\nok').responses).toEqual([ok(200, 2)])
    expect(
      parse('HTTP/1.1 200 OK\r\nX-Long: one\r\n two\r\nConnection: keep-alive,\r\n\tclose\r\n\r\n').responses,
    ).toEqual([{bytes: 0, complete: false, keepAlive: false, status: 200}])
  })

  it('passes over empty lines before a status line, as llhttp does', () => {
    const wire = '\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n\nHTTP/1.1 204 No Content\r\n\r\n\r\n'
    expect(parse(wire)).toEqual({error: null, responses: [ok(200, 2), ok(204, 0)]})
  })

  it('reads a coding with anything after it as another coding: the body runs to the end of the connection', () => {
    for (const coding of ['chunked x', 'chunked;q=1', 'chunked, gzip']) {
      const wire = `HTTP/1.1 200 OK\r\nTransfer-Encoding: ${coding}\r\n\r\n2\r\nok`
      expect(parse(wire, {closes: true}).responses, coding).toEqual([ok(200, 5, false)])
    }
  })

  it('closes after a chunked HTTP/1.0 response, whatever its Connection says (RFC 9112 §6.1)', () => {
    const wire = 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'
    expect(parse(wire).responses).toEqual([ok(200, 2, false)])
  })

  it('takes a status below 100 as the final answer, not an interim one', () => {
    expect(parse('HTTP/1.1 099 Odd\r\nContent-Length: 2\r\n\r\nok').responses).toEqual([ok(99, 2)])
  })

  it('takes a status line without a reason phrase', () => {
    expect(parse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n').responses).toEqual([ok(200, 0)])
  })
})

describe('response parser: what it refuses', () => {
  const refused: Array<[string, string, string]> = [
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n', 'HPE_INVALID_CONSTANT'],
    ['a bad version', 'HTTP/1.x 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
    ['HTTP/1.2', 'HTTP/1.2 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
    ['HTTP/2.0', 'HTTP/2.0 200 OK\r\n\r\n', 'HPE_INVALID_VERSION'],
    ['a switch of protocols nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', 'HPE_PAUSED_UPGRADE'],
    [
      'Transfer-Encoding with Content-Length',
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      'HPE_INVALID_TRANSFER_ENCODING',
    ],
    [
      'a second number after a chunk size',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 3\r\n',
      'HPE_INVALID_CHUNK_SIZE',
    ],
    [
      'a control byte in a chunk extension',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a=\x00\r\nok\r\n0\r\n\r\n',
      'HPE_STRICT',
    ],
    [
      'a trailer line without a colon',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n',
      'HPE_INVALID_HEADER_TOKEN',
    ],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['a short status line', 'HTTP/1.1 20\r\n\r\n', 'HPE_INVALID_STATUS'],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok', 'HPE_INVALID_HEADER_TOKEN'],
    ['a line without a colon', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['a folded first header', 'HTTP/1.1 200 OK\r\n folded\r\n\r\n', 'HPE_INVALID_HEADER_TOKEN'],
    ['a CR without LF', 'HTTP/1.1 200 OK\rX: y\r\n\r\n', 'HPE_LF_EXPECTED'],
    ['a non-number length', 'HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok', 'HPE_INVALID_CONTENT_LENGTH'],
    ['a length with a space inside', 'HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['an empty length', 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    ['a length past 2^53', 'HTTP/1.1 200 OK\r\nContent-Length: 9007199254740993\r\n\r\n', 'HPE_INVALID_CONTENT_LENGTH'],
    [
      'two lengths that disagree',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
      'HPE_UNEXPECTED_CONTENT_LENGTH',
    ],
    [
      'a chunk size that is not hex',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n',
      'HPE_INVALID_CHUNK_SIZE',
    ],
    ['an empty chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n', 'HPE_INVALID_CHUNK_SIZE'],
    [
      'a chunk longer than it said',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokay\r\n0\r\n\r\n',
      'HPE_STRICT',
    ],
    [
      'a chunk size past 2^53',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40000000000000\r\n',
      'HPE_INVALID_CHUNK_SIZE',
    ],
  ]
  it.each(refused)('refuses %s, with the code undici gives it', (_what, wire, code) => {
    const heard = parse(wire)
    expect(heard.error).toMatchObject({code})
    expect(heard.error!.message).toMatch(/^Response does not match the HTTP\/1\.1 protocol \(.+\)$/)
  })

  it(`refuses a head, a chunk line or trailers over ${MAX_HEAD_BYTES} bytes, not a long chunked body`, () => {
    const header = (bytes: number) => `X-Big: ${'a'.repeat(bytes)}\r\n`
    const overflow = {code: 'UND_ERR_HEADERS_OVERFLOW'}
    expect(parse(`HTTP/1.1 200 OK\r\n${header(MAX_HEAD_BYTES)}\r\n`).error).toMatchObject(overflow)
    expect(parse(`HTTP/1.1 200 OK\r\n${header(MAX_HEAD_BYTES - 100)}Content-Length: 0\r\n\r\n`).error).toBeNull()
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'
    expect(parse(`${chunked}1;${'e'.repeat(MAX_HEAD_BYTES)}\r\n`).error).toMatchObject(overflow)
    expect(parse(`${chunked}0\r\n${header(MAX_HEAD_BYTES)}\r\n`).error).toMatchObject(overflow)
    // 10,000 chunks: their size lines add up past the limit, each alone far under it.
    const heard = parse(`${chunked}${'3\r\nabc\r\n'.repeat(10_000)}0\r\n\r\n`)
    expect(heard).toEqual({error: null, responses: [ok(200, 30_000)]})
  })
})

// --- known answers: responses built from a description, cut anywhere, read back as described -----------------------

interface Described {
  status: number
  version: '1.0' | '1.1'
  connection: 'close' | 'keep-alive' | null
  framing: 'length' | 'chunked' | 'close'
  chunks: number[]
  /** Headers that do not frame the response, with names and values in any case. */
  others: Array<[string, string]>
  interim: number[]
  lineEnd: '\r\n' | '\n'
}

const token = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/)
  .filter((name) => !['content-length', 'transfer-encoding', 'connection'].includes(name.toLowerCase()))
const described: fc.Arbitrary<Described> = fc.record({
  chunks: fc.array(fc.integer({max: 300, min: 1}), {maxLength: 5}),
  connection: fc.constantFrom('close' as const, 'keep-alive' as const, null),
  framing: fc.constantFrom('length' as const, 'chunked' as const, 'close' as const),
  interim: fc.array(fc.constantFrom(100, 102, 103), {maxLength: 2}),
  lineEnd: fc.constantFrom('\r\n' as const, '\n' as const),
  others: fc.array(fc.tuple(token, fc.stringMatching(/^[ -~]{0,40}$/)), {maxLength: 6}),
  status: fc.integer({max: 599, min: 200}).filter((status) => status !== 204 && status !== 304),
  version: fc.constantFrom('1.0' as const, '1.1' as const),
})

/** Random case, as servers send names and tokens. */
function anyCase(text: string, seed: number): string {
  return [...text].map((c, i) => ((seed >> (i % 31)) & 1 ? c.toUpperCase() : c)).join('')
}

function wireOf(response: Described, seed: number): {wire: string; bytes: number; keepAlive: boolean} {
  const {lineEnd: eol} = response
  const body = response.chunks.map((length, i) => String.fromCharCode(97 + (i % 26)).repeat(length))
  const bytes = body.join('').length
  const lines = [`HTTP/${response.version} ${response.status} Some Reason`]
  for (const [name, value] of response.others) lines.push(`${name}: ${value}`)
  if (response.connection) lines.push(`${anyCase('Connection', seed)}: ${anyCase(response.connection, seed >> 3)}`)
  if (response.framing === 'length') lines.push(`${anyCase('Content-Length', seed)}:  ${bytes} `)
  if (response.framing === 'chunked') lines.push(`${anyCase('Transfer-Encoding', seed)}: ${anyCase('chunked', seed)}`)
  const interim = response.interim.map((status) => `HTTP/1.1 ${status} Interim${eol}X-Hint: 1${eol}${eol}`).join('')
  const content =
    response.framing === 'chunked'
      ? `${body.map((chunk) => `${chunk.length.toString(16)}${eol}${chunk}${eol}`).join('')}0${eol}${eol}`
      : body.join('')
  // HTTP/1.0 keeps a connection only when asked to, and never after chunks (RFC 9112 §6.1).
  const keepAlive =
    response.framing !== 'close' &&
    response.connection !== 'close' &&
    (response.version === '1.1' || (response.connection === 'keep-alive' && response.framing !== 'chunked'))
  return {bytes, keepAlive, wire: `${interim}${lines.join(eol)}${eol}${eol}${content}`}
}

describe('response parser: known answers', () => {
  it('reads any sequence of described responses, cut at any bytes, as described', () => {
    fc.assert(
      fc.property(
        fc.array(described, {maxLength: 4, minLength: 1}),
        fc.integer(),
        fc.array(fc.nat(), {maxLength: 12}),
        (responses, seed, cutsAt) => {
          // Only the last response may run to the end of the connection.
          const last = responses.length - 1
          const built = responses.map((response, i) =>
            wireOf(i < last && response.framing === 'close' ? {...response, framing: 'length'} : response, seed + i),
          )
          const wire = built.map((response) => response.wire).join('')
          const cuts = cutsAt.map((cut) => cut % (wire.length + 1))
          const heard = parse(wire, {closes: true, cuts})
          expect(heard.error).toBeNull()
          expect(heard.responses).toEqual(
            built.map((response, i) => ok(responses[i]!.status, response.bytes, response.keepAlive)),
          )
        },
      ),
      {numRuns: 500},
    )
  })

  it('reads every byte of a body as body, whatever its bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 2000}), fc.array(fc.nat(), {maxLength: 8}), (body, cutsAt) => {
        const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1')
        const wire = Buffer.concat([head, body, head, body])
        const heard = parse(wire, {cuts: cutsAt.map((cut) => cut % (wire.length + 1))})
        expect(heard).toEqual({error: null, responses: [ok(200, body.length), ok(200, body.length)]})
      }),
    )
  })
})
