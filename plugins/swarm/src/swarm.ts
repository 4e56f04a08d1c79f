import {spawn} from 'node:child_process'
import {setMaxListeners} from 'node:events'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {
  CollectContext,
  Evidence,
  FilledRequest,
  JsonClient,
  JsonPath,
  JsonReply,
  MetricSpec,
  PhasegateApi,
  Placeholders,
  RequestTemplate,
  Validator,
} from 'phasegate'

/** One fault: an HTTP fault of a kind (the protocol's fault request), a shell command, or a signal to the leader. */
export type FaultSpec = {kind: string} | {command: string} | {signal: NodeJS.Signals}

/** How a swarm (or a cluster) is spoken to, as a gate file writes it (or a preset gives it). */
export interface SwarmProtocol {
  /** Creates one swarm: 2xx with its id at `id`. Without it the swarm is the cluster `members` name. */
  create?: {request: RequestTemplate; id: string}
  /** Deletes a swarm this run created: 2xx, or a status in `gone`. */
  delete?: {request: RequestTemplate; gone?: number[]}
  /**
   * Asks one member who leads: the leader's id and term (0 or none: no leader), optionally health, pid, who answered.
   */
  status: {
    request: RequestTemplate
    leader: string
    term: string
    member?: string
    healthy?: string
    pid?: string
    not_ready?: number[]
  }
  /** Injects an HTTP fault of kind {faultKind}. */
  fault?: {request: RequestTemplate}
  /** Writes a task before the faults and reads it back after: `kept` is where the answer shows it survived. */
  tasks?: {
    submit: RequestTemplate
    read: {request: RequestTemplate; kept: string; match?: 'listed' | 'present'}
  }
}

/** A member of an existing cluster: where it answers, and optionally its name and pidfile (for signal faults). */
export type MemberSpec = string | {url: string; name?: string; pidfile?: string}

export interface SwarmOptions {
  url?: string
  preset?: keyof typeof SWARM_PRESETS
  protocol?: Partial<SwarmProtocol>
  /** An existing cluster, one swarm: its members; nothing is created or deleted. */
  members?: MemberSpec[]
  swarms: number
  faults: number | FaultSpec[]
  /** The fault each counted fault injects; default: {kind: kill-leader} when the protocol has a fault request. */
  fault?: FaultSpec
  /** Run for every counted fault instead of the HTTP call (the same as fault: {command}). */
  command?: string
  tasks: number
  concurrency: number
  ready_timeout: string
  recovery_timeout: string
  timeout: string
}

/** The bundled demo's swarms (demo/src/app.ts): each swarm a leader process and its followers. */
export const SWARM_PRESETS = {
  demo: {
    create: {id: 'id', request: {method: 'POST', url: '{url}/swarms'}},
    delete: {gone: [404], request: {method: 'DELETE', url: '{url}/swarms/{swarmId}'}},
    fault: {request: {body: {kind: '{faultKind}'}, method: 'POST', url: '{url}/swarms/{swarmId}/faults'}},
    status: {
      healthy: 'healthy',
      leader: 'leader.pid',
      pid: 'leader.pid',
      request: {method: 'GET', url: '{url}/swarms/{swarmId}'},
      term: 'leader.term',
    },
    tasks: {
      read: {kept: 'accepted', match: 'listed', request: {method: 'GET', url: '{url}/swarms/{swarmId}/tasks'}},
      submit: {body: {taskId: '{taskId}'}, method: 'POST', url: '{url}/swarms/{swarmId}/tasks'},
    },
  },
} satisfies Record<string, SwarmProtocol>

const MAX_SWARMS = 1000
const MAX_FAULTS = 100
const DEFAULT_FAULT = 'kill-leader'
/** How often a faulted swarm is asked whether it has recovered. */
const RECOVERY_POLL_MS = 25
const READY_POLL_MS = 250
/** {member} is the base URL of the member asked ({url} for swarms this run creates). */
const SWARM_PLACEHOLDERS = ['url', 'swarmId', 'member']
const LEADER_PLACEHOLDERS = [...SWARM_PLACEHOLDERS, 'leaderId', 'leaderPid', 'term', 'faultKind']
const TASK_PLACEHOLDERS = [...SWARM_PLACEHOLDERS, 'taskId']

const SWARM_METRICS: MetricSpec[] = [
  {
    description:
      'From each fault until the swarm has a leader of a higher term (healthy, where the protocol reads health), ' +
      'in ms; one sample per recovered fault.',
    dimension: 'duration',
    name: 'failover_time',
    type: 'samples',
  },
  {
    description: 'Swarms of this run with a leader (and healthy) at the end, after the faults.',
    dimension: 'count',
    name: 'swarms_healthy',
    type: 'value',
  },
  {
    description: 'Tasks accepted before the faults and missing after.',
    dimension: 'count',
    name: 'lost_tasks',
    type: 'value',
  },
  {
    description:
      'Faults after which the swarm had no leader of a higher term within recovery_timeout (they give no ' +
      'failover_time sample).',
    dimension: 'count',
    name: 'failed_recoveries',
    type: 'value',
  },
]

export function makeSwarmValidator(api: PhasegateApi): Validator<SwarmOptions> {
  const fault = {
    additionalProperties: false,
    description:
      'One fault: {kind: kill-leader} (the protocol’s HTTP fault of that kind), {signal: SIGKILL} (to the ' +
      'leader’s pid, read from the status answer or its member’s pidfile) or {command: "…"} (run; gets SWARM_ID, ' +
      'SWARM_URL, LEADER_ID, LEADER_NAME, LEADER_URL, LEADER_PID and LEADER_TERM in its environment).',
    properties: {
      command: {
        description: 'Shell command that injects the fault, run in the gate file’s folder.',
        minLength: 1,
        type: 'string',
      },
      kind: {
        description: 'Fault kind, {faultKind} in the fault request.',
        pattern: '^[a-z][a-z0-9-]*$',
        type: 'string',
      },
      signal: {
        description: 'Signal sent to the leader’s process.',
        enum: ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGSTOP', 'SIGHUP'],
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
      'Creates `swarms` swarms (or takes the existing cluster its `members` name), waits until each has a leader, ' +
      'writes `tasks` tasks to each, then injects `faults` one after another — each kills a leader — and times ' +
      'each recovery until a member reports a leader of a higher term. Counts tasks lost and swarms healthy at the ' +
      'end, and deletes every swarm it created. The requests are data: `preset: demo` (the bundled demo’s API, the ' +
      'default) or a `protocol`.',
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
        fault: {...fault, description: `The fault each counted fault injects. ${fault.description}`},
        faults: {
          anyOf: [
            {maximum: MAX_FAULTS, minimum: 0, type: 'integer'},
            {items: fault, maxItems: MAX_FAULTS, minItems: 1, type: 'array'},
          ],
          default: 3,
          description: `How many faults to inject, one after another on different swarms; or the list of faults.`,
        },
        members: {
          description:
            'An existing cluster as one swarm: each member’s base URL ({member} in the requests), or {url, name, ' +
            'pidfile}; the pidfile (relative to the gate file) names the process a signal fault reaches.',
          items: {
            anyOf: [
              {format: 'uri', type: 'string'},
              {
                additionalProperties: false,
                properties: {
                  name: {description: 'LEADER_NAME for a fault command, e.g. its container or pod.', type: 'string'},
                  pidfile: {description: 'File holding the member’s process id.', minLength: 1, type: 'string'},
                  url: {format: 'uri', type: 'string'},
                },
                required: ['url'],
                type: 'object',
              },
            ],
          },
          maxItems: 100,
          minItems: 1,
          type: 'array',
        },
        preset: {
          description:
            `A known swarm API: ${Object.keys(SWARM_PRESETS).join(', ')}; \`protocol\` overrides its parts. The ` +
            'default when no protocol is given.',
          enum: Object.keys(SWARM_PRESETS),
          type: 'string',
        },
        protocol: protocolSchema(api),
        ready_timeout: api.durationOption(
          'Creating the swarms and waiting until all have a leader must end within it; so must each wait for a ' +
            'cluster to be whole again before its next fault.',
          '60s',
        ),
        recovery_timeout: api.durationOption(
          'A faulted swarm without a leader of a higher term within it counts as a failed recovery.',
          '30s',
        ),
        swarms: {
          default: 100,
          description: 'Swarms to create and keep running at once (ignored with `members`: the cluster is one).',
          maximum: MAX_SWARMS,
          minimum: 1,
          type: 'integer',
        },
        tasks: {
          default: 5,
          description: 'Tasks written to each swarm before the faults; each must survive them.',
          maximum: 1000,
          minimum: 0,
          type: 'integer',
        },
        timeout: api.durationOption(
          'Per request and per fault command (creating a swarm waits for its first leader); over it is an error.',
          '20s',
        ),
        url: {
          description: 'Base URL of the system, e.g. ${services.demo.url}: {url} in the requests.',
          format: 'uri',
          type: 'string',
        },
      },
      // Something must say where the system is: a preset's {url}, a protocol's own URLs or a cluster's members.
      anyOf: [
        {properties: {url: true}, required: ['url']},
        {properties: {protocol: true}, required: ['protocol']},
        {properties: {members: true}, required: ['members']},
      ],
      type: 'object',
    },
    // A function so the protocol is checked whole (preset, parts, placeholders, paths) with the gate, before anything
    // runs; with none of url, protocol, members (listing the validators) the schema's anyOf has said what to give.
    metrics: (options) => {
      if (options.url !== undefined || options.protocol !== undefined || options.members !== undefined)
        resolveSwarmProtocol(api, options)
      return SWARM_METRICS
    },
    collect: (ctx, options) => runSwarms(api, ctx, options),
  })
}

function protocolSchema(api: PhasegateApi): Record<string, unknown> {
  const object = (properties: Record<string, unknown>, required: string[]): Record<string, unknown> => ({
    additionalProperties: false,
    properties,
    required,
    type: 'object',
  })
  return {
    ...object(
      {
        create: object(
          {
            id: api.pathSchema('Where the answer holds the new swarm’s id.'),
            request: api.requestSchema('Creates one swarm.', ['url']),
          },
          ['request', 'id'],
        ),
        delete: object(
          {
            gone: api.statusesSchema('Statuses that mean the swarm no longer exists.'),
            request: api.requestSchema('Deletes a swarm this run created.', SWARM_PLACEHOLDERS),
          },
          ['request'],
        ),
        fault: object({request: api.requestSchema('Injects a fault of kind {faultKind}.', LEADER_PLACEHOLDERS)}, [
          'request',
        ]),
        status: object(
          {
            healthy: api.pathSchema('Where the answer says the swarm is healthy (true).'),
            leader: api.pathSchema('Where the answer names the leader (0, "0" or nothing: no leader).'),
            member: api.pathSchema('Where it names the member that answered, to tell which member leads.'),
            not_ready: api.statusesSchema('Statuses that mean "no leader yet", not an error.'),
            pid: api.pathSchema('Where it holds the leader’s process id, for signal faults.'),
            request: api.requestSchema('Asks one member who leads.', SWARM_PLACEHOLDERS),
            term: api.pathSchema('Where it holds the leader’s term (or epoch): a new leader has a higher one.'),
          },
          ['request', 'leader', 'term'],
        ),
        tasks: object(
          {
            read: object(
              {
                kept: api.pathSchema('Where the answer shows the task survived.'),
                match: {
                  description:
                    'present (default): anything non-empty at `kept` means kept; listed: `kept` is a list of ' +
                    'task ids that includes it.',
                  enum: ['listed', 'present'],
                  type: 'string',
                },
                request: api.requestSchema('Reads one task back after the faults.', TASK_PLACEHOLDERS),
              },
              ['request', 'kept'],
            ),
            submit: api.requestSchema('Writes one task ({taskId}) before the faults; 2xx means accepted.', [
              ...TASK_PLACEHOLDERS,
            ]),
          },
          ['submit', 'read'],
        ),
      },
      [],
    ),
    description: 'The swarm API as data; with a preset, only the parts written here replace the preset’s.',
  }
}

/** The protocol a run speaks, its paths parsed. */
interface Speaking {
  create?: {request: RequestTemplate; id: JsonPath}
  delete?: {request: RequestTemplate; gone: number[]}
  status: {
    request: RequestTemplate
    leader: JsonPath
    term: JsonPath
    member?: JsonPath
    healthy?: JsonPath
    pid?: JsonPath
    notReady: number[]
  }
  fault?: {request: RequestTemplate}
  tasks?: {submit: RequestTemplate; read: RequestTemplate; kept: JsonPath; listed: boolean}
  faults: FaultSpec[]
  members?: Member[]
  /** {url} without a trailing slash. */
  url?: string
}

interface Member {
  url: string
  name?: string
  pidfile?: string
}

export function resolveSwarmProtocol(api: PhasegateApi, options: SwarmOptions): Speaking {
  const preset = options.preset ?? (options.protocol ? undefined : 'demo')
  const protocol = api.mergeProtocol<SwarmProtocol>(preset && SWARM_PRESETS[preset], options.protocol)
  const {create, delete: remove, fault, status, tasks} = protocol
  const presets = Object.keys(SWARM_PRESETS).join(', ')
  if (!status)
    throw new Error(`protocol needs status: name a preset (${presets}) or write the status request under protocol`)
  if (options.members && create)
    throw new Error('members name an existing cluster, which is not created: leave protocol.create out with members')
  if (!options.members && !create)
    throw new Error('give members (an existing cluster) or a protocol.create request (swarms this run creates)')
  // {member} is each member's URL, or {url} for created swarms; a preset without url fails here.
  const unset: Record<string, string> = options.url === undefined ? {url: 'give url, the system’s base URL'} : {}
  const check = (template: RequestTemplate | undefined, names: string[], where: string): void => {
    if (template) api.checkRequest(template, names, `protocol.${where}`, unset)
  }

  check(create?.request, ['url'], 'create.request')
  check(remove?.request, SWARM_PLACEHOLDERS, 'delete.request')
  check(status.request, SWARM_PLACEHOLDERS, 'status.request')
  check(fault?.request, LEADER_PLACEHOLDERS, 'fault.request')
  check(tasks?.submit, TASK_PLACEHOLDERS, 'tasks.submit')
  check(tasks?.read.request, TASK_PLACEHOLDERS, 'tasks.read.request')
  if (create && options.url === undefined)
    throw new Error('swarms this run creates are reached through {url}: give url')
  const faults = faultList(options, fault !== undefined)
  const kinds = faults.filter((spec) => 'kind' in spec)
  if (kinds.length > 0 && !fault)
    throw new Error(
      `fault {kind: ${(kinds[0] as {kind: string}).kind}} needs a protocol.fault request; or use {signal: SIGKILL} ` +
        'or {command: "…"}',
    )
  if (options.tasks > 0 && !tasks)
    throw new Error('tasks need protocol.tasks (submit and read requests); or set tasks: 0')
  const path = (text: string, where: string): JsonPath => new api.JsonPath(text, `protocol.${where}`)
  const optionalPath = (text: string | undefined, where: string): JsonPath | undefined =>
    text === undefined ? undefined : path(text, where)
  return {
    create: create && {id: path(create.id, 'create.id'), request: create.request},
    delete: remove && {gone: remove.gone ?? [], request: remove.request},
    fault,
    faults,
    members: options.members?.map((member) => (typeof member === 'string' ? {url: member} : member)),
    status: {
      healthy: optionalPath(status.healthy, 'status.healthy'),
      leader: path(status.leader, 'status.leader'),
      member: optionalPath(status.member, 'status.member'),
      notReady: status.not_ready ?? [],
      pid: optionalPath(status.pid, 'status.pid'),
      request: status.request,
      term: path(status.term, 'status.term'),
    },
    tasks: tasks && {
      kept: path(tasks.read.kept, 'tasks.read.kept'),
      listed: tasks.read.match === 'listed',
      read: tasks.read.request,
      submit: tasks.submit,
    },
    url: options.url?.replace(/\/+$/, ''),
  }
}

/** The faults to inject, in order. */
function faultList(options: SwarmOptions, hasHttpFault: boolean): FaultSpec[] {
  const {command, faults} = options
  if (typeof faults !== 'number') return faults
  if (command !== undefined && options.fault !== undefined) throw new Error('give either command or fault, not both')
  const each: FaultSpec =
    options.fault ?? (command === undefined ? (hasHttpFault ? {kind: DEFAULT_FAULT} : {signal: 'SIGKILL'}) : {command})
  return Array.from({length: faults}, () => each)
}

/** A swarm of this run: its id and the members that answer for it. */
interface Swarm {
  id: string
  members: Member[]
}

/** Who leads a swarm, as one member's answer tells. */
interface LeaderView {
  /** The answering member's id, where the protocol reads it. */
  memberId?: string
  member: Member
  leader?: string
  term?: number
  healthy: boolean
  pid?: number
}

/** A swarm's state across its members: ready when every member answers and they agree on a healthy leader. */
interface SwarmState {
  answers: LeaderView[]
  /** Members that did not answer, with why. */
  silent: string[]
}

async function runSwarms(api: PhasegateApi, ctx: CollectContext, options: SwarmOptions): Promise<Evidence> {
  const timeoutMs = api.readDuration(options.timeout, 'timeout')
  const protocol = resolveSwarmProtocol(api, options)
  const client = new api.JsonClient({connections: options.concurrency + 2, timeoutMs})
  const run = new SwarmRun(api, ctx, options, protocol, client)
  try {
    return await run.measure()
  } finally {
    // Even on abort or timeout: no swarm of ours, and so no leader process, outlives the run.
    await run.deleteAll()
    await client.close()
  }
}

class SwarmRun {
  /** Swarms this run created and has not yet deleted. */
  readonly created: Swarm[] = []
  private readonly notes: string[] = []
  private readonly started = performance.now()
  /** The run's signal (timeout or Ctrl-C), shared by every request in flight. */
  private readonly signal: AbortSignal

  constructor(
    private readonly api: PhasegateApi,
    private readonly ctx: CollectContext,
    private readonly options: SwarmOptions,
    private readonly protocol: Speaking,
    private readonly client: JsonClient,
  ) {
    this.signal = AbortSignal.any([ctx.signal])
    setMaxListeners(options.concurrency * 4 + 10, this.signal)
  }

  async measure(): Promise<Evidence> {
    const {api, options, protocol} = this
    const readyBy = performance.now() + api.readDuration(options.ready_timeout, 'ready_timeout')
    let swarms: Swarm[]
    if (protocol.members) {
      swarms = [{id: 'cluster', members: protocol.members}]
      await this.reachable(swarms[0]!)
    } else {
      await this.create(readyBy)
      if (this.created.length === 0)
        throw new Error(`${this.source()}: no swarm could be created (${this.notes.join('; ')})`)
      swarms = [...this.created]
    }

    const ready = await this.waitUntilReady(swarms, readyBy)
    if (ready.length < swarms.length) {
      const which = protocol.members ? 'the cluster was not' : `${ready.length} of ${swarms.length} swarms were`
      this.notes.push(`${which} ready (every member answering, one healthy leader) before the faults`)
    }

    const accepted = await this.submitTasks(ready)
    const failovers: number[] = []
    let failedRecoveries = 0
    const {faults} = protocol
    for (const [index, fault] of faults.entries()) {
      this.signal.throwIfAborted()
      // Spread over the swarms, so each fault hits a different swarm while there are enough.
      const swarm = ready[Math.floor((index * ready.length) / faults.length) % Math.max(1, ready.length)]
      if (swarm === undefined) {
        this.notes.push(`fault ${index + 1} was not injected: no ready swarm to inject it into`)
        continue
      }

      const outcome = await this.failover(swarm, fault, readyBy)
      this.ctx.progress({fraction: (index + 1) / faults.length, message: `fault ${index + 1} of ${faults.length}`})
      if (outcome === 'not injected') continue
      if (outcome === 'not recovered') failedRecoveries++
      else failovers.push(outcome)
    }

    const lost = await this.lostTasks(swarms, accepted)
    const states = await this.states(swarms)
    // A member still rejoining after the last fault may not know the leader yet: those that do must agree.
    const healthyAtEnd = states.filter((state) => leaderOf(state, false) !== undefined).length
    const created = `${count(this.created.length, 'swarm')} created`
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
        `${protocol.members ? `a cluster of ${count(protocol.members.length, 'member')}` : created}, ` +
          `${count(faults.length, 'fault')} (${describeFaults(faults)}), ` +
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
    const {api, protocol} = this
    const remove = protocol.delete
    if (!remove || this.created.length === 0) return
    const failed: Swarm[] = []
    await eachConcurrently([...this.created], this.options.concurrency, async (swarm) => {
      const reply = await this.client.send(api.fillRequest(remove.request, this.values(swarm, swarm.members[0]!)))
      if (!api.succeeded(reply) && ('error' in reply || !remove.gone.includes(reply.status))) failed.push(swarm)
    })
    this.created.splice(0, this.created.length, ...failed)
    if (failed.length > 0)
      this.ctx.log(
        `could not delete ${failed.length} swarms: ${failed
          .slice(0, 5)
          .map((swarm) => swarm.id)
          .join(', ')}`,
      )
  }

  private source(): string {
    const {api, protocol} = this
    if (protocol.members) return `swarm: a cluster at ${protocol.members.map((member) => member.url).join(', ')}`
    const create = api.fillRequest(protocol.create!.request, {url: protocol.url})
    return `swarm: ${this.options.swarms} swarms at ${create.url.href}`
  }

  /** Placeholder values for one member of a swarm. */
  private values(swarm: Swarm, member: Member, more: Placeholders = {}): Placeholders {
    return {member: member.url.replace(/\/+$/, ''), swarmId: swarm.id, url: this.protocol.url, ...more}
  }

  /** Throws (NO_DATA) when no member of the cluster can be reached at all. */
  private async reachable(swarm: Swarm): Promise<void> {
    const state = await this.state(swarm)
    if (state.answers.length === 0) throw new Error(`cannot reach any member: ${state.silent.join('; ')}`)
  }

  /**
   * Creates `swarms` swarms, `concurrency` at a time; a request in flight is never cut, so every swarm made is known
   * and deleted.
   */
  private async create(readyBy: number): Promise<void> {
    const {api, options, protocol} = this
    const create = protocol.create!
    let next = 0
    let refused = 0
    let unreachable = 0
    let example: string | undefined
    const worker = async (): Promise<void> => {
      while (next < options.swarms && !this.signal.aborted && performance.now() < readyBy) {
        next++
        const request = api.fillRequest(create.request, {url: protocol.url})
        const reply = await this.client.send(request)
        const id = api.succeeded(reply) ? api.idOf(create.id.read((reply as {body: unknown}).body)) : undefined
        if (id !== undefined) {
          this.created.push({id, members: [{url: protocol.url!}]})
          this.ctx.progress({message: `${this.created.length} of ${options.swarms} swarms created`})
          continue
        }

        refused++
        if ('error' in reply && reply.error === 'connect') unreachable++
        example ??= api.describeReply(request, reply)
      }
    }

    await Promise.all(Array.from({length: options.concurrency}, worker))
    if (unreachable > 0 && unreachable === refused && this.created.length === 0)
      throw new Error(`cannot reach the swarm API: ${example}`)
    if (refused > 0) this.notes.push(`${refused} swarms could not be created (first: ${example})`)
    if (this.created.length + refused < options.swarms && !this.signal.aborted) {
      this.notes.push(
        `only ${this.created.length + refused} of ${options.swarms} swarm creations were tried within ready_timeout ` +
          `${options.ready_timeout}`,
      )
    }
  }

  /** Asks every member of a swarm who leads. */
  private async state(swarm: Swarm): Promise<SwarmState> {
    const {api, protocol} = this
    const {status} = protocol
    const answers: LeaderView[] = []
    const silent: string[] = []
    await Promise.all(
      swarm.members.map(async (member) => {
        const request = api.fillRequest(status.request, this.values(swarm, member))
        const reply = await this.client.send(request, this.signal)
        if (!api.succeeded(reply)) {
          if ('error' in reply || !status.notReady.includes(reply.status))
            silent.push(api.describeReply(request, reply))
          else answers.push({healthy: false, member})
          return
        }

        const body = (reply as {body: unknown}).body
        const leader = api.idOf(status.leader.read(body))
        answers.push({
          // Raft's convention: leader 0 means none (etcd during an election).
          healthy: status.healthy ? status.healthy.read(body) === true : true,
          leader: leader === '0' ? undefined : leader,
          member,
          memberId: api.idOf(status.member?.read(body)),
          pid: api.numberOf(status.pid?.read(body)),
          term: api.numberOf(status.term.read(body)),
        })
      }),
    )
    return {answers, silent}
  }

  private states(swarms: Swarm[]): Promise<SwarmState[]> {
    return mapConcurrently(swarms, this.options.concurrency, (swarm) => this.state(swarm))
  }

  /** Polls until every swarm is ready or the deadline passes; returns those that are. */
  private async waitUntilReady(swarms: Swarm[], deadline: number): Promise<Swarm[]> {
    for (;;) {
      const states = await this.states(swarms)
      const ready = swarms.filter((_, index) => isReady(states[index]!))
      if (ready.length === swarms.length || performance.now() >= deadline) return ready
      await sleep(READY_POLL_MS, undefined, {signal: this.signal})
    }
  }

  /** Writes `tasks` tasks to every swarm; returns the ids each swarm accepted (2xx). */
  private async submitTasks(swarms: Swarm[]): Promise<Map<Swarm, string[]>> {
    const {api, protocol} = this
    const accepted = new Map<Swarm, string[]>()
    const tasks = protocol.tasks
    if (!tasks || this.options.tasks === 0) return accepted
    let refused = 0
    let example: string | undefined
    await eachConcurrently(swarms, this.options.concurrency, async (swarm) => {
      const taken: string[] = []
      for (let n = 1; n <= this.options.tasks && !this.signal.aborted; n++) {
        const taskId = `${this.ctx.target.id}-${swarm.id}-${n}`
        const {reply, request} = await this.sendToAnyMember(swarm, tasks.submit, {taskId})
        if (api.succeeded(reply)) taken.push(taskId)
        else {
          refused++
          example ??= api.describeReply(request, reply)
        }
      }

      accepted.set(swarm, taken)
    })
    if (refused > 0) this.notes.push(`${refused} tasks were not accepted (first: ${example})`)
    return accepted
  }

  /** Sends to the members in turn until one answers at all (a dead leader's member does not). */
  private async sendToAnyMember(
    swarm: Swarm,
    template: RequestTemplate,
    more: Placeholders,
  ): Promise<{reply: JsonReply; request: FilledRequest}> {
    let last: {reply: JsonReply; request: FilledRequest} | undefined
    for (const member of swarm.members) {
      const request = this.api.fillRequest(template, this.values(swarm, member, more))
      last = {reply: await this.client.send(request, this.signal), request}
      if (!('error' in last.reply)) return last
    }

    return last!
  }

  /** Injects one fault into a swarm and times its recovery: ms, or why there is no sample. */
  private async failover(
    swarm: Swarm,
    fault: FaultSpec,
    readyBy: number,
  ): Promise<number | 'not injected' | 'not recovered'> {
    const {api} = this
    // A cluster whose last killed member is still rejoining is waited for, at least a ready_timeout per fault.
    const deadline = Math.max(
      readyBy,
      performance.now() + api.readDuration(this.options.ready_timeout, 'ready_timeout'),
    )
    let state = await this.state(swarm)
    while (!isReady(state) && performance.now() < deadline) {
      await sleep(READY_POLL_MS, undefined, {signal: this.signal})
      state = await this.state(swarm)
    }

    const before = isReady(state) ? leaderOf(state) : undefined
    if (!before) {
      this.notes.push(`fault on ${swarm.id} was not injected: it had no healthy leader every member agreed on`)
      return 'not injected'
    }

    const startedAt = performance.now()
    const problem = await this.inject(swarm, fault, before)
    if (problem) {
      this.notes.push(`fault on ${swarm.id} was not injected: ${problem}`)
      return 'not injected'
    }

    const recoverBy = startedAt + api.readDuration(this.options.recovery_timeout, 'recovery_timeout')
    while (performance.now() < recoverBy) {
      const now = newerLeader(await this.state(swarm), before.term!)
      if (now) {
        const ms = performance.now() - startedAt
        this.notes.push(
          `${swarm.id}: leader ${before.leader} (term ${before.term}) replaced by ${now.leader} (term ${now.term}), ` +
            `${api.formatValue(ms, 'duration')} after the fault`,
        )
        return ms
      }

      await sleep(RECOVERY_POLL_MS, undefined, {signal: this.signal})
    }

    this.notes.push(
      `${swarm.id} had no leader of a higher term ${api.formatValue(performance.now() - startedAt, 'duration')} ` +
        `after its fault (recovery_timeout ${this.options.recovery_timeout}): a failed recovery, with no ` +
        'failover_time sample',
    )
    return 'not recovered'
  }

  /** Injects the fault; returns why it could not be, or undefined. */
  private async inject(swarm: Swarm, fault: FaultSpec, leader: LeaderView): Promise<string | undefined> {
    const {api, protocol} = this
    const pid = leader.pid ?? (await this.pidFromFile(leader))
    const values = this.values(swarm, leader.member, {
      leaderId: leader.leader,
      leaderPid: typeof pid === 'number' ? pid : '',
      term: leader.term,
    })
    if ('kind' in fault) {
      const request = api.fillRequest(protocol.fault!.request, {...values, faultKind: fault.kind})
      const reply = await this.client.send(request, this.signal)
      return api.succeeded(reply) ? undefined : api.describeReply(request, reply)
    }

    if ('signal' in fault) {
      if (typeof pid !== 'number') return pid
      try {
        process.kill(pid, fault.signal)
        return undefined
      } catch (error) {
        return `${fault.signal} to pid ${pid} failed: ${(error as Error).message}`
      }
    }

    const statusUrl = api.fillRequest(protocol.status.request, values).url.href
    return this.runCommand(fault.command, {
      LEADER_ID: leader.leader ?? '',
      LEADER_NAME: leader.member.name ?? '',
      LEADER_PID: typeof pid === 'number' ? String(pid) : '',
      LEADER_TERM: String(leader.term ?? ''),
      LEADER_URL: leader.member.url,
      SWARM_ID: swarm.id,
      SWARM_URL: statusUrl,
    })
  }

  /** The leader's pid from its member's pidfile, or why there is none. */
  private async pidFromFile(leader: LeaderView): Promise<number | string> {
    const {pidfile} = leader.member
    if (!pidfile)
      return 'the leader’s pid is unknown: give protocol.status.pid or a pidfile for each member (with status.member)'
    const file = path.resolve(this.ctx.gateDir, pidfile)
    try {
      const pid = Number((await readFile(file, 'utf8')).trim())
      return Number.isInteger(pid) && pid > 0 ? pid : `${file} holds no process id`
    } catch (error) {
      return `cannot read ${file}: ${(error as Error).message}`
    }
  }

  /**
   * Runs the fault command in the gate's folder with the leader's details in its environment; bounded by the request
   * timeout.
   */
  private runCommand(command: string, details: Record<string, string>): Promise<string | undefined> {
    const timeoutMs = this.api.readDuration(this.options.timeout, 'timeout')
    return new Promise((resolve) => {
      let stderr = ''
      const child = spawn(command, {
        cwd: this.ctx.gateDir,
        env: {...process.env, ...details},
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
            `command "${command}" ${signal ? `was killed by ${signal}` : `exited with code ${code}`}` +
              `${stderr.trim() ? `: ${stderr.trim()}` : ''}`,
          )
      })
    })
  }

  /** Tasks each swarm accepted before the faults that it no longer shows. */
  private async lostTasks(swarms: Swarm[], accepted: Map<Swarm, string[]>): Promise<number> {
    const {api} = this
    const tasks = this.protocol.tasks
    if (!tasks) return 0
    let lost = 0
    const unknown = new Set<string>()
    let example: string | undefined
    for (const swarm of swarms) {
      // A read that names no task (a journal) is sent once per swarm, not once per task.
      const answers = new Map<string, Promise<{reply: JsonReply; request: FilledRequest}>>()
      for (const taskId of accepted.get(swarm) ?? []) {
        const key = JSON.stringify(api.fillRequest(tasks.read, this.values(swarm, swarm.members[0]!, {taskId})))
        if (!answers.has(key)) answers.set(key, this.sendToAnyMember(swarm, tasks.read, {taskId}))
        const {reply, request} = await answers.get(key)!
        if (!api.succeeded(reply)) {
          // A task that cannot be read back is lost as far as anyone can tell.
          unknown.add(swarm.id)
          example ??= api.describeReply(request, reply)
          lost++
          continue
        }

        const kept = tasks.kept.read((reply as {body: unknown}).body)
        if (!(tasks.listed ? Array.isArray(kept) && kept.includes(taskId) : isPresent(kept))) lost++
      }
    }

    if (unknown.size > 0)
      this.notes.push(`the tasks of ${unknown.size} swarms could not be read (${example}); they count as lost`)
    return lost
  }
}

/** The healthy leader the answering members agree on (`all`: every one of them names it); else undefined. */
function leaderOf(state: SwarmState, all = true): LeaderView | undefined {
  const leading = state.answers.filter((view) => view.healthy && view.leader !== undefined && view.term !== undefined)
  if (leading.length === 0 || (all && leading.length < state.answers.length)) return undefined
  const [first] = leading
  if (!leading.every((view) => view.leader === first!.leader && view.term === first!.term)) return undefined
  // The leader's own answer, when a member path tells which one it is: its member is the one a fault must reach.
  return leading.find((view) => view.memberId !== undefined && view.memberId === view.leader) ?? first
}

/** Ready: every member answers and all agree on one healthy leader. */
function isReady(state: SwarmState): boolean {
  return state.silent.length === 0 && leaderOf(state) !== undefined
}

/** A member reporting a leader of a higher term than `term` (healthy, where health is read), or undefined. */
function newerLeader(state: SwarmState, term: number): LeaderView | undefined {
  return state.answers.find(
    (view) => view.healthy && view.leader !== undefined && view.term !== undefined && view.term > term,
  )
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false
  if (Array.isArray(value)) return value.length > 0
  return typeof value !== 'object' || Object.keys(value).length > 0
}

async function mapConcurrently<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = Array.from({length: items.length})
  let next = 0
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!)
  }

  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return results
}

async function eachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  await mapConcurrently(items, limit, work)
}

function describeFaults(faults: FaultSpec[]): string {
  const counts = new Map<string, number>()
  for (const fault of faults) {
    const label = 'kind' in fault ? fault.kind : 'signal' in fault ? fault.signal : `command: ${fault.command}`
    counts.set(label, (counts.get(label) ?? 0) + 1)
  }

  return [...counts].map(([label, count]) => `${count} × ${label}`).join(', ') || 'none'
}

/** "1 fault", "3 faults". */
function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}
