// JUnit XML reports (vitest, Jest, pytest, Maven Surefire, Go's gotestsum, …): the outcome and time
// of each <testcase>. Outcomes are counted from the test cases themselves, not from the totals a
// tool writes on <testsuite>, so a report that misstates its totals cannot hide a failure.
import type {MetricEvidence} from '../../engine/types.js'
import {type Importer, malformed, type MetricType, type ReadingSpec, refuseReadingOptions, splitLast} from './fields.js'

type Outcome = 'error' | 'failed' | 'passed' | 'skipped'

interface TestCase {
  suite: string
  name: string
  outcome: Outcome
  /** Seconds, when the report gives one. */
  time?: number
  /** The failure's or error's message, for notes. */
  message?: string
}

/** What a gate can read from a report, and what it gives. */
const FIELDS: Readonly<Record<string, {type: MetricType; dimension: ReadingSpec['dimension']; what: string}>> = {
  duration: {dimension: 'duration', type: 'samples', what: 'time of each test that ran'},
  errors: {dimension: 'count', type: 'value', what: 'tests that ended in an error'},
  failures: {dimension: 'count', type: 'value', what: 'tests that failed'},
  pass_rate: {dimension: 'proportion', type: 'proportion', what: 'tests that passed, out of those that ran'},
  passed: {dimension: 'count', type: 'value', what: 'tests that passed'},
  skipped: {dimension: 'count', type: 'value', what: 'tests skipped'},
  tests: {dimension: 'count', type: 'value', what: 'test cases'},
}

/** Failing tests named in the notes; the rest are counted. */
const DESCRIBED_FAILURES = 5

function parseSelector(path: string): {suite?: string; field: string} {
  const [suite, field] = splitLast(path)
  if (!FIELDS[field])
    throw new Error(
      `"${path}": a JUnit report gives ${Object.keys(FIELDS).join(', ')}, optionally after a test suite's name ` +
        `(sample.test.ts.duration)`,
    )
  return suite === undefined ? {field} : {field, suite}
}

export const junitImporter: Importer = {
  tool: 'JUnit report',
  spec(request, file) {
    refuseReadingOptions(request, 'a JUnit report')

    const {field, suite} = parseSelector(request.path)
    const {dimension, type, what} = FIELDS[field]!
    return {description: `${what}${suite === undefined ? '' : ` in suite ${suite}`}, from ${file}`, dimension, type}
  },
  async read(artifact, requests) {
    const file = artifact.name
    const cases = await parseReport(await artifact.text(), file)
    const metrics: Record<string, MetricEvidence> = {}
    for (const request of requests) {
      const {field, suite} = parseSelector(request.path)
      metrics[request.metric] = readField(casesOf(cases, suite, file), field, file, suite)
    }

    const suites = new Set(cases.map((test) => test.suite))
    return {
      metrics,
      notes: failureNotes(cases),
      source: `JUnit report ${file} (${cases.length} tests in ${suites.size} suite${suites.size === 1 ? '' : 's'})`,
    }
  },
}

function casesOf(cases: TestCase[], suite: string | undefined, file: string): TestCase[] {
  if (suite === undefined) return cases
  const selected = cases.filter((test) => test.suite === suite)
  if (selected.length > 0) return selected
  const suites = [...new Set(cases.map((test) => test.suite))]
  throw new Error(
    `${file} has no test suite ${JSON.stringify(suite)} with test cases; it ` +
      `has ${suites.map((name) => JSON.stringify(name)).join(', ')}`,
  )
}

function readField(cases: TestCase[], field: string, file: string, suite: string | undefined): MetricEvidence {
  const count = (outcome: Outcome): number => cases.filter((test) => test.outcome === outcome).length
  switch (field) {
    case 'tests':
      return {dimension: 'count', type: 'value', value: cases.length}
    case 'passed':
      return {dimension: 'count', type: 'value', value: count('passed')}
    case 'failures':
      return {dimension: 'count', type: 'value', value: count('failed')}
    case 'errors':
      return {dimension: 'count', type: 'value', value: count('error')}
    case 'skipped':
      return {dimension: 'count', type: 'value', value: count('skipped')}
    case 'pass_rate': {
      const ran = cases.length - count('skipped')
      if (ran === 0)
        throw new Error(
          `${file}: every one of the ${cases.length} tests${suite ? ` in ${suite}` : ''} was skipped; there is no ` +
            `pass rate`,
        )
      return {events: count('passed'), trials: ran, type: 'proportion'}
    }

    default: {
      const timed = cases.filter((test) => test.outcome !== 'skipped' && test.time !== undefined)
      if (timed.length === 0)
        throw new Error(`${file}: no test that ran has a time attribute${suite ? ` in ${suite}` : ''}`)
      return {dimension: 'duration', samples: timed.map((test) => test.time! * 1000), type: 'samples'}
    }
  }
}

function failureNotes(cases: TestCase[]): string[] {
  const failing = cases.filter((test) => test.outcome === 'failed' || test.outcome === 'error')
  const notes = failing.slice(0, DESCRIBED_FAILURES).map((test) => {
    const message = test.message ? ` — ${test.message}` : ''
    return `${test.outcome === 'error' ? 'error' : 'failed'}: ${test.suite} › ${test.name}${message}`
  })
  if (failing.length > DESCRIBED_FAILURES) notes.push(`… and ${failing.length - DESCRIBED_FAILURES} more failing tests`)
  return notes
}

/** Every <testcase> of a report with its suite, outcome, time and message. */
async function parseReport(text: string, file: string): Promise<TestCase[]> {
  // saxes is loaded only for JUnit reports: the other formats do not need an XML parser.
  const {SaxesParser} = await import('saxes')
  const parser = new SaxesParser({fileName: file})
  const cases: TestCase[] = []
  const suites: string[] = []
  let root: string | undefined
  let current: TestCase | undefined
  // Text inside <failure>/<error> when the message attribute is missing (pytest writes it there).
  let detail: string | undefined
  parser.on('opentag', (tag) => {
    const attributes = tag.attributes as Record<string, string>
    if (root === undefined) {
      root = tag.name
      if (root !== 'testsuites' && root !== 'testsuite')
        malformed(file, 'the root element', '<testsuites> or <testsuite>', `<${root}>`)
    }

    switch (tag.name) {
      case 'testsuite':
        suites.push(attributes.name ?? '')
        break
      case 'testcase':
        current = {
          name: attributes.name ?? '',
          // googletest writes a disabled test as status="notrun", with no <skipped> inside.
          outcome: attributes.status === 'notrun' ? 'skipped' : 'passed',
          suite: suites.at(-1) ?? attributes.classname ?? '',
          ...timeOf(attributes, file, parser.line),
        }
        break
      case 'failure':
      case 'error':
        if (current && current.outcome !== 'error') {
          current.outcome = tag.name === 'error' ? 'error' : 'failed'
          const message = attributes.message?.trim() || attributes.type?.trim()
          if (message) current.message = firstLine(message)
          else detail = ''
        }

        break
      case 'skipped':
        if (current && current.outcome === 'passed') current.outcome = 'skipped'
    }
  })
  parser.on('text', (chunk) => {
    if (detail !== undefined) detail += chunk
  })
  parser.on('closetag', (tag) => {
    if ((tag.name === 'failure' || tag.name === 'error') && current && detail !== undefined) {
      if (detail.trim()) current.message = firstLine(detail.trim())
      detail = undefined
    } else if (tag.name === 'testcase' && current) {
      cases.push(current)
      current = undefined
    } else if (tag.name === 'testsuite') {
      suites.pop()
    }
  })
  // The first XML error is the one to report; what saxes says after it follows from it.
  let broken: Error | undefined
  parser.on('error', (error) => {
    broken ??= error
  })
  parser.write(text).close()
  if (broken) throw new Error(`${file} is not well-formed XML: ${broken.message.replace(`${file}:`, 'line ')}`)

  if (root === undefined) malformed(file, 'the root element', '<testsuites> or <testsuite>', undefined)
  if (cases.length === 0) throw new Error(`${file}: the report has no <testcase> elements`)
  return cases
}

function timeOf(attributes: Record<string, string>, file: string, line: number): {time?: number} {
  if (attributes.time === undefined || attributes.time.trim() === '') return {}
  // Some tools write thousands separators: time="1,234.5".
  const seconds = Number(attributes.time.replaceAll(',', ''))
  if (!Number.isFinite(seconds) || seconds < 0)
    malformed(
      file,
      `line ${line}: <testcase name=${JSON.stringify(attributes.name ?? '')}> time`,
      'seconds',
      attributes.time,
    )
  return {time: seconds}
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0]!.trim()
  return line.length > 160 ? `${line.slice(0, 160)}…` : line
}
