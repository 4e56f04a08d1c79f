import {parse} from 'yaml'
import {describe, expect, it} from 'vitest'

import {UserError} from '../../src/errors.js'
import {askAnswers, checkAnswers, type InitAnswers, renderGate, templateNamed} from '../../src/init.js'

const answers = (overrides: Partial<InitAnswers>): InitAnswers => ({name: 'api', templates: [], ...overrides})

function problemsOf(overrides: Partial<InitAnswers>): string[] {
  try {
    checkAnswers(answers(overrides))
  } catch (error) {
    if (error instanceof UserError) return error.issues.map((issue) => issue.message)
    throw error
  }

  return []
}

describe('gate init: the gate it writes', () => {
  it('a service gives the http target its announced URL; templates measure the same system', () => {
    const gate = parse(
      renderGate(answers({service: 'node server.js --port 0', templates: ['dashboard', 'cache']}), '/p/gates', '/p'),
    )
    expect(gate.services.app).toEqual({
      command: 'node server.js --port 0',
      ready: {log: String.raw`listening on (?<url>https?://\S+)`, timeout: '30s'},
    })
    expect(gate.targets.map((target: {id: string}) => target.id)).toEqual([
      'http-latency',
      'dashboard-refresh',
      'cache-hit-rate',
    ])
    expect(gate.targets[0].with.url).toBe('${services.app.url}')
    expect(gate.targets[2].with.url).toBe('${services.app.url}/cache')
  })

  it('a URL with a trailing slash is the templates’ base without it', () => {
    const gate = parse(renderGate(answers({templates: ['fleet'], url: 'http://127.0.0.1:8080/'}), '/p/gates', '/p'))
    expect(gate.services).toBeUndefined()
    expect(gate.targets[1].with.url).toBe('http://127.0.0.1:8080')
  })

  it('a k6 summary is imported relative to the gate file; values with quotes stay data', () => {
    const gate = parse(renderGate(answers({k6: 'out/summary.json', title: 'Say "hi": ${x}'}), '/p/gates', '/p'))
    expect(gate.title).toBe('Say "hi": ${x}')
    expect(gate.targets[0].with).toEqual({
      file: '../out/summary.json',
      format: 'k6',
      metrics: ['http_req_duration.p95', 'http_req_failed'],
    })
  })

  it.each<[string, Partial<InitAnswers>, string]>([
    ['nothing to measure', {}, 'nothing to measure'],
    ['a bad name', {name: '../x', url: 'http://h/'}, '"../x" cannot name a gate file'],
    ['a URL that is not http', {url: 'ftp://h/'}, '--url ftp://h/ is not an http(s) URL'],
    ['templates without a system', {templates: ['swarm']}, "templates swarm need the system's URL"],
    ['a service that names no URL', {ready: 'ready', service: 'x'}, 'the service announces no URL to measure'],
  ])('refuses %s, saying what to give', (_, overrides, message) => {
    expect(problemsOf(overrides)).toContain(message)
  })

  it('template names are checked, with the nearest suggested', () => {
    expect(templateNamed(' Fleet ')).toBe('fleet')
    expect(() => templateNamed('dashbord')).toThrow(UserError)
    try {
      templateNamed('dashbord')
    } catch (error) {
      expect((error as UserError).issues[0]?.hint).toBe('did you mean "dashboard"?')
    }
  })

  it('asks only for what the flags left out, offering defaults', async () => {
    const asked: string[] = []
    const replies = new Map([
      ['Gate name', 'web'],
      ['Command that starts', 'node app.js'],
      ['Seed targets', 'dashboard, swarm'],
    ])
    const result = await askAnswers({k6: 'k6.json'}, async (question, answer = '') => {
      asked.push(question)
      return [...replies].find(([start]) => question.startsWith(start))?.[1] ?? answer
    })
    expect(asked.some((question) => question.startsWith('k6'))).toBe(false)
    expect(result).toEqual({
      k6: 'k6.json',
      name: 'web',
      ready: String.raw`listening on (?<url>https?://\S+)`,
      service: 'node app.js',
      templates: ['dashboard', 'swarm'],
      title: 'web gate',
      url: undefined,
    })
  })
})
