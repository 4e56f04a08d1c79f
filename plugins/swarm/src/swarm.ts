import {spawn} from 'node:child_process'
import {setMaxListeners} from 'node:events'
import {setTimeout as sleep} from 'node:timers/promises'

import type {CollectContext, Evidence, PhasegateApi, Validator} from 'phasegate'
import type {Pool} from 'undici'

/** One fault: an HTTP fault of this kind (POST {url}/swarms/:id/faults), or a shell command run instead. */
export type FaultSpec = {kind: string} | {command: string}

export interface SwarmOptions {
  url: string
  swarms: number
  faults: number | FaultSpec[]
  /** Run for every counted fault instead of the HTTP call. */
  command?: string
  tasks: number
  concurrency: number
  ready_timeout: string
  recovery_timeout: string
  timeout: string
}

const MAX_SWARMS = 1000
const MAX_FAULTS = 100
const DEFAULT_FAULT = 'kill-leader'
/** How often a faulted swarm is asked whether it has recovered. */
const RECOVERY_POLL_MS = 25
const READY_POLL_MS = 250

export function makeSwarmValidator(api: PhasegateApi): Validator<SwarmOptions> {
  const fault = {
    additionalProperties: false,
    description:
      'One fault: {kind: kill-leader} (an HTTP fault of that kind) or {command: "…"} (run instead; gets SWARM_ID, ' +
      'SWARM_URL, LEADER_PID and LEADER_TERM in its environment).',
    properties: {
      command: {
        description: 'Shell command that injects the fault, run in the gate file’s folder.',
        minLength: 1,
        type: 'string',
      },
      kind: {
        description: 'Fault kind sent as {kind} to POST {url}/swarms/:id/faults.',
        pattern: '^[a-z][a-z0-9-]*$',
        type: 'string',
      },
    },
    maxProperties: 1,
    minProperties: 1,
    type: 'object',
  }
  return api.defineValidator<SwarmOptions>({
    name: 'swarm',
    description:
      'Creates `swarms` swarms (POST {url}/swarms), waits until all are healthy, submits `tasks` tasks to each, ' +
      'then injects `faults` one after another — each kills a different swarm’s leader — and times each recovery ' +
      'until GET {url}/swarms/:id is healthy with a higher leader term. Counts tasks lost and swarms healthy at the ' +
      'end, and deletes every swarm it created.',
    kind: 'measured',
    options: {
      additionalProperties: false,
      properties: {
        command: {
          description:
            `Shell command run for each counted fault instead of the HTTP ${DEFAULT_FAULT} call, e.g. ` +
            `"kill -9 $LEADER_PID" (env: SWARM_ID, SWARM_URL, LEADER_PID, LEADER_TERM).`,
          minLength: 1,
          type: 'string',
        },
        concurrency: {
          default: 10,
          description: 'Swarms created (and deleted) at a time.',
          maximum: 100,
          minimum: 1,
          type: 'integer',
        },
        faults: {
          anyOf: [
            {maximum: MAX_FAULTS, minimum: 0, type: 'integer'},
            {items: fault, maxItems: MAX_FAULTS, minItems: 1, type: 'array'},
          ],
          default: 3,
          description:
            `How many ${DEFAULT_FAULT} faults to inject, one after another on different swarms; or the ` +
            `list of faults.`,
        },
        ready_timeout: api.durationOption(
          'Creating the swarms and waiting until all are healthy must end within it.',
          '60s',
        ),
        recovery_timeout: api.durationOption(
          'A faulted swarm not healthy again with a new leader within it counts as a failed recovery.',
          '30s',
        ),
        swarms: {
          default: 100,
          description: 'Swarms to create and keep running at once.',
          maximum: MAX_SWARMS,
          minimum: 1,
          type: 'integer',
        },
        tasks: {
          default: 5,
          description: 'Tasks submitted to each swarm before the faults; each must survive them.',
          maximum: 1000,
          minimum: 0,
          type: 'integer',
        },
        timeout: api.durationOption(
          'Per request (creating a swarm waits for its first leader); over it is an error.',
          '20s',
        ),
        url: {
          description: 'Base URL of the system, e.g. ${services.demo.url}; swarms are at {url}/swarms.',
          format: 'uri',
          type: 'string',
        },
      },
      required: ['url'],
      type: 'object',
    },
    metrics: [
      {
        description:
          'From each fault until the swarm is healthy again with a higher leader term, in ms; one sample per ' +
          'recovered fault.',
        dimension: 'duration',
        name: 'failover_time',
        type: 'samples',
      },
      {
        description: 'Swarms of this run healthy at the end, after the faults.',
        dimension: 'count',
        name: 'swarms_healthy',
        type: 'value',
      },
      {
        description: 'Tasks accepted before the faults and missing from their swarm’s journal after.',
        dimension: 'count',
        name: 'lost_tasks',
        type: 'value',
      },
      {
        description:
          'Faults after which the swarm was not healthy with a new leader within recovery_timeout (they give no ' +
          'failover_time sample).',
        dimension: 'count',
        name: 'failed_recoveries',
        type: 'value',
      },
    ],
    collect: (ctx, options) => runSwarms(api, ctx, options),
  })
}

interface SwarmView {
  id: string
  healthy: boolean
  leader: {pid: number; term: number} | null
}

type Reply = {status: number; body: unknown} | {error: string}

/** A fault as it is injected: HTTP of a kind, or a command. */
type Injection = {kind: string; command?: undefined} | {command: string; kind?: undefined}

async function runSwarms(api: PhasegateApi, ctx: CollectContext, options: SwarmOptions): Promise<Evidence> {
  const timeoutMs = api.readDuration(options.timeout, 'timeout')
  const base = new URL(options.url)
  const {Pool} = await import('undici')
  const pool = new Pool(base.origin, {
    bodyTimeout: timeoutMs,
    connections: options.concurrency + 2,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
  })
  const run = new SwarmRun(api, ctx, options, pool, base)
  try {
    return await run.measure()
  } finally {
    // Even on abort or timeout: no swarm of ours, and so no leader process, outlives the run.
    await run.deleteAll()
    await api.closeGracefully(pool, 1000)
  }
}

class SwarmRun {
  /** Swarms this run created and has not yet deleted. */
  readonly created: string[] = []
  private readonly prefix: string
  private readonly notes: string[] = []
  private readonly started = performance.now()
  /** The run's signal (timeout or Ctrl-C), shared by every request in flight. */
  private readonly signal: AbortSignal

  constructor(
    private readonly api: PhasegateApi,
    private readonly ctx: CollectContext,
    private readonly options: SwarmOptions,
    private readonly pool: Pool,
    private readonly base: URL,
  ) {
    this.prefix = base.pathname.replace(/\/+$/, '')
    this.signal = AbortSignal.any([ctx.signal])
    setMaxListeners(options.concurrency * 2 + 10, this.signal)
  }

  async measure(): Promise<Evidence> {
    const {api, options} = this
    await this.reachable()
    const readyBy = performance.now() + api.readDuration(options.ready_timeout, 'ready_timeout')
    await this.create(readyBy)
    if (this.created.length === 0)
      throw new Error(`${this.source()}: no swarm could be created (${this.notes.join('; ')})`)
    const healthy = await this.waitUntilHealthy(readyBy)
    if (healthy.size < options.swarms)
      this.notes.push(`${healthy.size} of ${options.swarms} swarms were healthy before the faults`)
    const accepted = await this.submitTasks()
    const failovers: number[] = []
    let failedRecoveries = 0
    const injections = this.injections()
    const targets = [...healthy]
    for (const [index, injection] of injections.entries()) {
      this.signal.throwIfAborted()
      // Spread over the swarms, so each fault hits a different swarm while there are enough.
      const id = targets[Math.floor((index * targets.length) / injections.length) % Math.max(1, targets.length)]
      if (id === undefined) {
        this.notes.push(`fault ${index + 1} was not injected: no healthy swarm to inject it into`)
        continue
      }

      const outcome = await this.failover(id, injection)
      this.ctx.progress({
        fraction: (index + 1) / injections.length,
        message: `fault ${index + 1} of ${injections.length}`,
      })
      if (outcome === 'not injected') continue
      if (outcome === 'not recovered') failedRecoveries++
      else failovers.push(outcome)
    }

    const lost = await this.lostTasks(accepted)
    const healthyAtEnd = (await this.views()).filter((view) => view.healthy).length
    return {
      durationMs: performance.now() - this.started,
      kind: 'measured',
      metrics: {
        failed_recoveries: {dimension: 'count', type: 'value', value: failedRecoveries},
        failover_time: {dimension: 'duration', samples: failovers, type: 'samples'},
        lost_tasks: {dimension: 'count', type: 'value', value: lost},
        swarms_healthy: {dimension: 'count', type: 'value', value: healthyAtEnd},
      },
      notes: [
        `${count(this.created.length, 'swarm')} created, ` +
          `${count(injections.length, 'fault')} (${describeInjections(injections)}), ` +
          `${count(failovers.length, 'recovery', 'recoveries')} timed`,
        ...this.notes,
      ],
      source: this.source(),
    }
  }

  /**
   * Deletes every swarm this run created, a few at a time, without the run's signal: this must happen even after an
   * abort.
   */
  async deleteAll(): Promise<void> {
    const ids = [...this.created]
    const failed: string[] = []
    const worker = async (): Promise<void> => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        const reply = await this.call('DELETE', `/swarms/${encodeURIComponent(id)}`)
        if ('error' in reply || (reply.status !== 204 && reply.status !== 200 && reply.status !== 404)) failed.push(id)
      }
    }

    await Promise.all(Array.from({length: Math.min(this.options.concurrency, ids.length)}, worker))
    this.created.splice(0, this.created.length, ...failed)
    if (failed.length > 0) this.ctx.log(`could not delete ${failed.length} swarms: ${failed.slice(0, 5).join(', ')}`)
  }

  private source(): string {
    return `swarm: ${this.options.swarms} swarms at ${this.base.origin}${this.prefix}/swarms`
  }

  /** Throws (NO_DATA) when the swarm API cannot be reached at all, before anything is created. */
  private async reachable(): Promise<void> {
    const reply = await this.call('GET', '/swarms', this.signal)
    if ('error' in reply) throw new Error(`cannot reach ${this.base.origin}${this.prefix}/swarms: ${reply.error}`)
    if (reply.status !== 200)
      throw new Error(`GET ${this.prefix}/swarms answered ${reply.status} ${preview(reply.body)}`)
  }

  /**
   * POST /swarms `swarms` times, `concurrency` at a time; a request in flight is never cut, so every swarm made is
   * known and deleted.
   */
  private async create(readyBy: number): Promise<void> {
    let next = 0
    let refused = 0
    let example: string | undefined
    const worker = async (): Promise<void> => {
      while (next < this.options.swarms && !this.signal.aborted && performance.now() < readyBy) {
        next++
        const reply = await this.call('POST', '/swarms')
        const id = 'error' in reply ? undefined : (reply.body as {id?: unknown} | undefined)?.id
        if (!('error' in reply) && reply.status === 201 && typeof id === 'string') {
          this.created.push(id)
          this.ctx.progress({message: `${this.created.length} of ${this.options.swarms} swarms created`})
          continue
        }

        refused++
        example ??= 'error' in reply ? reply.error : `${reply.status} ${preview(reply.body)}`
      }
    }

    await Promise.all(Array.from({length: this.options.concurrency}, worker))
    if (refused > 0) this.notes.push(`${refused} swarms could not be created (first: ${example})`)
    if (this.created.length + refused < this.options.swarms && !this.signal.aborted) {
      this.notes.push(
        `only ${this.created.length + refused} of ${this.options.swarms} swarm creations were tried within ` +
          `ready_timeout ${this.options.ready_timeout}`,
      )
    }
  }

  /** Polls the swarm list until every swarm of ours is healthy or the deadline passes; returns those that are. */
  private async waitUntilHealthy(deadline: number): Promise<Set<string>> {
    for (;;) {
      const healthy = new Set((await this.views()).filter((view) => view.healthy).map((view) => view.id))
      if (healthy.size === this.created.length || performance.now() >= deadline) return healthy
      await sleep(READY_POLL_MS, undefined, {signal: this.signal})
    }
  }

  /** Submits `tasks` tasks to every swarm; returns the ids each swarm accepted (202). */
  private async submitTasks(): Promise<Map<string, string[]>> {
    const accepted = new Map<string, string[]>()
    let refused = 0
    let example: string | undefined
    const ids = [...this.created]
    const worker = async (): Promise<void> => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        const taken: string[] = []
        for (let n = 1; n <= this.options.tasks && !this.signal.aborted; n++) {
          const taskId = `${this.ctx.target.id}-${id}-${n}`
          const reply = await this.call('POST', `/swarms/${encodeURIComponent(id)}/tasks`, this.signal, {taskId})
          if (!('error' in reply) && reply.status === 202) taken.push(taskId)
          else {
            refused++
            example ??= 'error' in reply ? reply.error : `${reply.status} ${preview(reply.body)}`
          }
        }

        accepted.set(id, taken)
      }
    }

    await Promise.all(Array.from({length: this.options.concurrency}, worker))
    if (refused > 0) this.notes.push(`${refused} tasks were not accepted (first: ${example})`)
    return accepted
  }

  /** The faults to inject, in order. */
  private injections(): Injection[] {
    const {command, faults} = this.options
    if (typeof faults !== 'number')
      return faults.map((spec) => ('command' in spec ? {command: spec.command} : {kind: spec.kind}))
    return Array.from({length: faults}, () => (command === undefined ? {kind: DEFAULT_FAULT} : {command}))
  }

  /** Injects one fault into swarm `id` and times its recovery: ms, or why there is no sample. */
  private async failover(id: string, injection: Injection): Promise<number | 'not injected' | 'not recovered'> {
    const {api} = this
    const before = await this.view(id)
    if (!before?.healthy || !before.leader) {
      this.notes.push(`fault on ${id} was not injected: the swarm was not healthy before it`)
      return 'not injected'
    }

    const startedAt = performance.now()
    const problem =
      injection.command === undefined
        ? await this.injectHttp(id, injection.kind)
        : await this.runCommand(id, before, injection.command)
    if (problem) {
      this.notes.push(`fault on ${id} was not injected: ${problem}`)
      return 'not injected'
    }

    const deadline = startedAt + api.readDuration(this.options.recovery_timeout, 'recovery_timeout')
    while (performance.now() < deadline) {
      const now = await this.view(id)
      if (now?.healthy && now.leader && now.leader.term > before.leader.term) {
        const ms = performance.now() - startedAt
        this.notes.push(
          `${id}: leader ${before.leader.pid} (term ${before.leader.term}) replaced ` +
            `by ${now.leader.pid} (term ${now.leader.term}), healthy ${api.formatValue(ms, 'duration')} after the ` +
            `fault`,
        )
        return ms
      }
      await sleep(RECOVERY_POLL_MS, undefined, {signal: this.signal})
    }

    this.notes.push(
      `${id} was not healthy with a new ` +
        `leader ${api.formatValue(performance.now() - startedAt, 'duration')} after its fault ` +
        `(recovery_timeout ${this.options.recovery_timeout}): a failed recovery, with no failover_time sample`,
    )
    return 'not recovered'
  }

  private async injectHttp(id: string, kind: string): Promise<string | undefined> {
    const reply = await this.call('POST', `/swarms/${encodeURIComponent(id)}/faults`, this.signal, {kind})
    if ('error' in reply) return reply.error
    return reply.status === 202 || reply.status === 200
      ? undefined
      : `POST /faults {kind: ${kind}} answered ${reply.status} ${preview(reply.body)}`
  }

  /**
   * Runs the fault command in the gate's folder with the swarm's details in its environment; bounded by the request
   * timeout.
   */
  private runCommand(id: string, before: SwarmView, command: string): Promise<string | undefined> {
    const timeoutMs = this.api.readDuration(this.options.timeout, 'timeout')
    const env = {
      ...process.env,
      LEADER_PID: String(before.leader?.pid ?? ''),
      LEADER_TERM: String(before.leader?.term ?? ''),
      SWARM_ID: id,
      SWARM_URL: `${this.base.origin}${this.prefix}/swarms/${encodeURIComponent(id)}`,
    }
    return new Promise((resolve) => {
      let stderr = ''
      const child = spawn(command, {
        cwd: this.ctx.gateDir,
        env,
        killSignal: 'SIGKILL',
        shell: true,
        signal: this.signal,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: timeoutMs,
      })
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-500)))
      child.once('error', (error) => resolve(`command "${command}" could not run: ${error.message}`))
      child.once('close', (code, signal) => {
        if (code === 0) resolve(undefined)
        else
          resolve(
            `command "${command}" ${
              signal ? `was killed by ${signal}` : `exited with ` + `code ${code}`
            }${stderr.trim() ? `: ${stderr.trim()}` : ''}`,
          )
      })
    })
  }

  /** Tasks each swarm accepted before the faults that its journal no longer lists. */
  private async lostTasks(accepted: Map<string, string[]>): Promise<number> {
    let lost = 0
    let pending = 0
    const unknown: string[] = []
    for (const [id, taskIds] of accepted) {
      if (taskIds.length === 0) continue
      const reply = await this.call('GET', `/swarms/${encodeURIComponent(id)}/tasks`, this.signal)
      const journal = 'error' in reply ? undefined : (reply.body as {accepted?: unknown; pending?: unknown} | undefined)
      if (!Array.isArray(journal?.accepted)) {
        // A journal that cannot be read loses every task as far as anyone can tell.
        unknown.push(id)
        lost += taskIds.length
        continue
      }

      const kept = new Set(journal.accepted)
      lost += taskIds.filter((taskId) => !kept.has(taskId)).length
      if (Array.isArray(journal.pending))
        pending += taskIds.filter((taskId) => (journal.pending as unknown[]).includes(taskId)).length
    }

    if (unknown.length > 0)
      this.notes.push(`the task journals of ${unknown.length} swarms could not be read; their tasks count as lost`)
    if (pending > 0) this.notes.push(`${pending} tasks are kept but still pending (not yet acknowledged by a leader)`)
    return lost
  }

  private async views(): Promise<SwarmView[]> {
    const reply = await this.call('GET', '/swarms', this.signal)
    if ('error' in reply || reply.status !== 200)
      throw new Error(`GET ${this.prefix}/swarms failed: ${'error' in reply ? reply.error : reply.status}`)
    const ours = new Set(this.created)
    const swarms = (reply.body as {swarms?: unknown} | undefined)?.swarms
    return Array.isArray(swarms) ? swarms.filter((view): view is SwarmView => isView(view) && ours.has(view.id)) : []
  }

  private async view(id: string): Promise<SwarmView | undefined> {
    const reply = await this.call('GET', `/swarms/${encodeURIComponent(id)}`, this.signal)
    return !('error' in reply) && reply.status === 200 && isView(reply.body) ? reply.body : undefined
  }

  /**
   * One JSON request under the base URL's path; never throws except on abort: a failure comes back as its description.
   */
  private async call(
    method: 'DELETE' | 'GET' | 'POST',
    path: string,
    signal?: AbortSignal,
    body?: unknown,
  ): Promise<Reply> {
    try {
      const response = await this.pool.request({
        body: body === undefined ? undefined : JSON.stringify(body),
        headers:
          body === undefined
            ? {accept: 'application/json'}
            : {accept: 'application/json', 'content-type': 'application/json'},
        method,
        path: `${this.prefix}${path}`,
        signal,
      })
      const text = await response.body.text()
      return {body: text === '' ? undefined : JSON.parse(text), status: response.statusCode}
    } catch (error) {
      signal?.throwIfAborted()
      return {error: this.api.describeError(error)}
    }
  }
}

function isView(value: unknown): value is SwarmView {
  const view = value as Partial<SwarmView> | null
  return typeof view?.id === 'string' && typeof view.healthy === 'boolean'
}

function describeInjections(injections: Injection[]): string {
  const counts = new Map<string, number>()
  for (const injection of injections) {
    const label = injection.command === undefined ? injection.kind : `command: ${injection.command}`
    counts.set(label, (counts.get(label) ?? 0) + 1)
  }

  return [...counts].map(([label, count]) => `${count} × ${label}`).join(', ') || 'none'
}

/** "1 fault", "3 faults". */
function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

function preview(body: unknown): string {
  const text = body === undefined ? '(no body)' : JSON.stringify(body)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}
