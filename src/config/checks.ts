// Checks of a gate document that a JSON Schema cannot express. They read the data defensively:
// they also run when the schema found problems, so that one run reports everything.
import {ExpectationSyntaxError, parseExpectation} from '../engine/expectation.js'
import {remoteHosts} from '../safety/remote.js'
import {isRecord, mustBe, type Problem} from './problem.js'
import type {DocPath} from './types.js'

/** Problems in the targets and services of an (interpolated) gate document. */
export function semanticProblems(data: Record<string, unknown>): Problem[] {
  const targets = Array.isArray(data.targets) ? data.targets : []
  const services = isRecord(data.services) ? Object.entries(data.services) : []
  return [
    ...duplicateIds(targets),
    ...targets.flatMap((target, index) => (isRecord(target) ? targetProblems(target, index) : [])),
    ...noPositiveWeight(targets),
    ...services.flatMap(([name, service]) =>
      isRecord(service) && isRecord(service.ready) ? readyProblems(service.ready, ['services', name, 'ready']) : [],
    ),
  ]
}

function duplicateIds(targets: readonly unknown[]): Problem[] {
  const firstIndex = new Map<string, number>()
  return targets.flatMap((target, index): Problem[] => {
    const id = isRecord(target) ? target.id : undefined
    if (typeof id !== 'string') return []
    const first = firstIndex.get(id)
    if (first === undefined) {
      firstIndex.set(id, index)
      return []
    }

    return [
      {
        path: ['targets', index, 'id'],
        message: `duplicate target id "${id}"`,
        hint: `targets[${first}] already uses it; ids must be unique`,
      },
    ]
  })
}

function targetProblems(target: Record<string, unknown>, index: number): Problem[] {
  const path = ['targets', index]
  const contradiction: Problem[] =
    target.required === true && target.level === 'warn'
      ? [
          {
            path: [...path, 'level'],
            message: 'a required target cannot have level: warn',
            hint: 'required targets must PASS while warn targets never block: drop "required: true" or "level: warn"',
          },
        ]
      : []
  return [...contradiction, ...expectationProblems(target.expect, [...path, 'expect'])]
}

/** Every expectation must parse; a problem points at the bad token inside the string. */
function expectationProblems(expect: unknown, path: DocPath): Problem[] {
  const entries: Array<[DocPath, unknown]> = Array.isArray(expect)
    ? expect.map((text, index) => [[...path, index], text])
    : [[path, expect]]
  // Empty strings and other types are the schema's to report.
  return entries.flatMap(([at, text]) => (typeof text === 'string' && text !== '' ? expectationProblem(text, at) : []))
}

function expectationProblem(text: string, path: DocPath): Problem[] {
  try {
    parseExpectation(text)
    return []
  } catch (error) {
    if (!(error instanceof ExpectationSyntaxError)) throw error
    return [{path, offset: error.offset, message: error.problem, ...(error.hint ? {hint: error.hint} : {})}]
  }
}

/** With every weight 0 the consensus is 0/0. */
function noPositiveWeight(targets: readonly unknown[]): Problem[] {
  const weights = targets.map((target) => (isRecord(target) ? target.weight : undefined))
  if (weights.length === 0 || !weights.every((weight) => weight === 0)) return []
  return [
    {
      path: ['targets'],
      message: 'every target has weight 0, so there is no consensus to compute',
      hint: 'give at least one target a positive weight',
    },
  ]
}

function readyProblems(ready: Record<string, unknown>, path: DocPath): Problem[] {
  const problems: Problem[] = []
  if (typeof ready.log === 'string') {
    try {
      new RegExp(ready.log)
    } catch (error) {
      const reason = (error as Error).message.split(': ').at(-1)
      problems.push({
        path: [...path, 'log'],
        message: `"log" is not a valid regular expression (${reason})`,
        hint: 'it is a JavaScript regular expression: escape ( ) [ ] { } . * + ? with \\ to match them literally',
      })
    }
  }

  // A value that still holds a ${...} has a problem of its own already.
  if (typeof ready.http === 'string' && !ready.http.includes('${') && !isHttpUrl(ready.http)) {
    problems.push({
      path: [...path, 'http'],
      message: mustBe([...path, 'http'], 'an http:// or https:// URL', ready.http),
    })
  } else if (typeof ready.http === 'string' && !ready.http.includes('${') && remoteHosts(ready.http).length > 0) {
    // A service runs here: a readiness check elsewhere would poll another machine for as long as the ready timeout.
    const named = remoteHosts(ready.http).join(', ')
    problems.push({
      path: [...path, 'http'],
      message: `"http" must be on this machine (127.0.0.0/8, ::1, localhost): it names ${named}`,
    })
  }

  return problems
}

function isHttpUrl(text: string): boolean {
  return URL.canParse(text) && ['http:', 'https:'].includes(new URL(text).protocol)
}
