// npm run bench [-- --quick] [-- --rounds N] [-- --only performance|calibration] [-- --rows GROUP,…]
// [-- --calibration-scale K]: the load engine and the CLI against
// references measured in the same run on the same machine, interleaved, round after round (performance), and the
// engine's false PASS / false FAIL shares with the truth on the threshold (calibration, bench/calibration.ts).
// Writes bench/results.json and bench/results.md, one section each; --only rewrites its own section and keeps the
// other.
// Not part of npm test. Server pinned to core 0, clients to core 1 (taskset), so they do not fight for a core.
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {evaluateGate, parseExpectation} from '../src/engine/index.js'
import type {TargetInput} from '../src/engine/types.js'
import {runLoad, summarizeLatency} from '../src/load/index.js'
import {calibrationRows, compactTable, fullTable} from './calibration.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const NGINX = '/usr/sbin/nginx'
const ROOT = path.resolve(HERE, '..')
const args = process.argv.slice(2)
const QUICK = args.includes('--quick')
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 5
const SECONDS = QUICK ? 3 : 10
const SECTIONS = ['performance', 'calibration'] as const
type Section = (typeof SECTIONS)[number]
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
if (ONLY !== undefined && !(SECTIONS as readonly string[]).includes(ONLY)) {
  console.error(`bench: --only takes one of ${SECTIONS.join(', ')}`)
  process.exit(2)
}
const runs = (section: Section): boolean => ONLY === undefined || ONLY === section
/** --rows startup,engine: only these groups of performance rows; the table keeps the last run's other rows. */
const GROUPS = ['engine', 'startup', 'throughput', 'accuracy', 'omission', 'until', 'memory'] as const
const ROWS = args.includes('--rows') ? (args[args.indexOf('--rows') + 1] ?? '').split(',') : undefined
if (ROWS !== undefined && (ROWS.length === 0 || ROWS.some((g) => !(GROUPS as readonly string[]).includes(g)))) {
  console.error(`bench: --rows takes a comma-separated list of ${GROUPS.join(', ')}`)
  process.exit(2)
}
const measures = (group: (typeof GROUPS)[number]): boolean => ROWS === undefined || ROWS.includes(group)
/** Calibration sets per cell, as a multiple of the unit test's (400; 200 for mean and stddev above n = 100). */
const SCALE = Number(args[args.indexOf('--calibration-scale') + 1]) || 4

interface Row {
  what: string
  reference: string
  goal: string
  /** Per round: the tool's figure and the reference's. */
  rounds: Array<{value: number; reference: number}>
  unit: string
  /** Whether the median ratio meets the goal. */
  meets: (ratio: number) => boolean
  note?: string
}

const rows: Row[] = []
const missing: string[] = []

// --- preconditions: a partial table must never look complete -----------------------------------------
if (runs('performance'))
  for (const [tool, found] of [
    ['taskset (util-linux)', existsSync('/usr/bin/taskset')],
    ['wrk (apt install wrk)', existsSync('/usr/bin/wrk')],
    ['nginx (apt install nginx-light)', existsSync(NGINX)],
    ['autocannon (npm ci)', existsSync(path.join(ROOT, 'node_modules/autocannon'))],
    ['dist/ (npm run compile)', existsSync(path.join(ROOT, 'dist/index.js'))],
  ] as const) {
    if (!found) missing.push(tool)
  }
if (missing.length > 0) {
  console.error(`bench: missing ${missing.join(', ')}: install them; no table is printed without every reference.`)
  process.exit(2)
}

// Clients (this process, autocannon in it, wrk) on core 1; servers on core 0.
if (runs('performance')) execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], {stdio: 'ignore'})
type Autocannon = (options: object) => Promise<{requests: {total: number}; duration: number}>
const autocannon = runs('performance')
  ? ((await import('autocannon')) as {default: Autocannon}).default
  : (null as unknown as Autocannon)

const children = new Set<ChildProcess>()
const stopAll = () => {
  for (const child of children) child.kill('SIGTERM')
}
process.on('exit', stopAll)
process.on('SIGINT', () => process.exit(130))
process.on('SIGTERM', () => process.exit(143))

async function startServer(mode: string, options: object = {}): Promise<{url: string; stop(): void}> {
  const child = spawn(
    'taskset',
    ['-c', '0', process.execPath, path.join(HERE, 'servers/server.mjs'), mode, JSON.stringify(options)],
    {stdio: ['ignore', 'pipe', 'inherit']},
  )
  children.add(child)
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', () => reject(new Error(`the ${mode} server exited`)))
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (http:\S+)/.exec(String(chunk))
      if (match) resolve(match[1]!)
    })
  })
  return {stop: () => (child.kill('SIGTERM'), children.delete(child)), url}
}

/**
 * nginx answering "ok" to everything, one worker on core 0: the throughput rows' server. Node's own server saturates
 * its core below what either Node client can send (~45k requests/s here, while wrk gets ~78k from nginx), so against it
 * those rows measured the server and its noise, not the clients.
 */
async function startNginx(): Promise<{url: string; stop(): void}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-bench-nginx-'))
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = probe.address() as net.AddressInfo
      probe.close(() => resolve(port))
    })
  })
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      'master_process off;',
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      'events { worker_connections 4096; }',
      'http {',
      '  access_log off;',
      '  keepalive_requests 10000000;',
      '  keepalive_timeout 60s;',
      `  client_body_temp_path ${dir}/body;`,
      `  server { listen 127.0.0.1:${port}; location / { return 200 "ok"; } }`,
      '}',
    ].join('\n'),
  )
  const child = spawn(
    'taskset',
    ['-c', '0', NGINX, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')],
    {
      stdio: 'ignore',
    },
  )
  children.add(child)
  const stop = () => {
    child.kill('SIGTERM')
    children.delete(child)
    rmSync(dir, {force: true, recursive: true})
  }
  // Ready once it accepts a connection; bounded, and its error log is the message if it never does.
  for (let attempt = 0; ; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)))
      socket.on('error', () => resolve(false))
    })
    if (up) return {stop, url: `http://127.0.0.1:${port}/`}
    if (attempt === 50 || child.exitCode !== null) {
      const log = existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8') : ''
      stop()
      throw new Error(`bench: nginx did not start on 127.0.0.1:${port}: ${log}`)
    }

    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
const cpuMs = (): number => {
  const {system, user} = process.cpuUsage()
  return (system + user) / 1000
}

// --- throughput and CPU per request, closed model ------------------------------------------------------
async function throughput(connections: number): Promise<void> {
  const server = await startNginx()
  const engine: Array<{rps: number; cpuPerRequest: number}> = []
  const cannon: Array<{rps: number; cpuPerRequest: number}> = []
  const wrk: number[] = []
  try {
    // One discarded second of each Node client first: loading its modules and warming its JIT is not a per-request
    // cost, and autocannon's modules are already loaded above while the engine's load on first use.
    await runLoad({connections, durationMs: 1000, url: server.url})
    await autocannon({connections, duration: 1, url: server.url})
    for (let round = 0; round < ROUNDS; round++) {
      // Rotated order: no tool always runs first on a warm or cold server.
      const order = ['engine', 'autocannon', 'wrk'].map((_, i, all) => all[(i + round) % all.length]!)
      for (const tool of order) {
        const cpu = cpuMs()
        if (tool === 'engine') {
          const result = await runLoad({connections, durationMs: SECONDS * 1000, url: server.url})
          engine.push({cpuPerRequest: (cpuMs() - cpu) / result.requests.completed, rps: result.rates.achieved})
        } else if (tool === 'autocannon') {
          const result = await autocannon({connections, duration: SECONDS, url: server.url})
          cannon.push({
            cpuPerRequest: (cpuMs() - cpu) / result.requests.total,
            rps: result.requests.total / result.duration,
          })
        } else {
          const out = execFileSync(
            'taskset',
            ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${SECONDS}s`, server.url],
            {encoding: 'utf8'},
          )
          wrk.push(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]))
        }
      }
    }
  } finally {
    server.stop()
  }
  rows.push({
    goal: '≥ 1.0x autocannon',
    meets: (r) => r >= 1,
    reference: 'autocannon',
    rounds: engine.map((e, i) => ({reference: cannon[i]!.rps, value: e.rps})),
    unit: 'req/s',
    what: `requests/s, closed model, ${connections} connections (nginx)`,
    note: `wrk (C, for information): median ${Math.round(median(wrk)).toLocaleString('en-US')} req/s`,
  })
  rows.push({
    goal: '≤ 1.0x autocannon',
    meets: (r) => r <= 1,
    reference: 'autocannon',
    rounds: engine.map((e, i) => ({reference: cannon[i]!.cpuPerRequest * 1000, value: e.cpuPerRequest * 1000})),
    unit: 'µs CPU/request',
    what: `client CPU time per request, ${connections} connections (nginx)`,
  })
}

// --- latency accuracy against a known injected delay distribution ---------------------------------------
async function accuracy(): Promise<void> {
  const p50: Row['rounds'] = []
  const p99: Row['rounds'] = []
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServer('lognormal', {medianMs: 20, seed: round + 1, sigma: 0.5})
    try {
      const result = await runLoad({connections: 20, durationMs: SECONDS * 1000, url: server.url})
      const truth = (await (await fetch(`${server.url}/truth`)).json()) as number[]
      const measured = summarizeLatency(result.latency)
      p50.push({reference: quantile(truth, 0.5), value: measured.p50})
      p99.push({reference: quantile(truth, 0.99), value: measured.p99})
    } finally {
      server.stop()
    }
  }
  // The network and the server add a fraction of a millisecond on top of the injected delay.
  const within = (r: number) => Math.abs(r - 1) <= 0.05
  rows.push({
    goal: 'within 5%',
    meets: within,
    reference: 'injected delays (lognormal, median 20 ms, σ 0.5)',
    rounds: p50,
    unit: 'ms',
    what: 'latency accuracy: p50',
  })
  rows.push({
    goal: 'within 5%',
    meets: within,
    reference: 'injected delays',
    rounds: p99,
    unit: 'ms',
    what: 'latency accuracy: p99',
  })
}

// --- coordinated omission: open model through a 1 s stall ----------------------------------------------
async function omission(): Promise<void> {
  const rate = 200
  const durationMs = 5000
  const stallAt = 2000
  const stallMs = 1000
  // The latency each scheduled request truly has: those due during the stall wait for its end.
  const truth = Array.from({length: (rate * durationMs) / 1000}, (_, i) => {
    const due = (i * 1000) / rate
    return due >= stallAt && due < stallAt + stallMs ? stallAt + stallMs - due : 0.3
  })
  const corrected: Row['rounds'] = []
  const uncorrected: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServer('stall', {stallAt, stallMs})
    try {
      // 10 connections: during the stall every one is busy, so requests due then cannot go out — the omission to
      // correct.
      const result = await runLoad({connections: 10, durationMs, rate, url: server.url})
      corrected.push({reference: quantile(truth, 0.99), value: summarizeLatency(result.latency).p99})
      uncorrected.push(summarizeLatency(result.latencyUncorrected).p99)
    } finally {
      server.stop()
    }
  }
  rows.push({
    goal: 'within 10%',
    meets: (r) => Math.abs(r - 1) <= 0.1,
    note: `uncorrected p99 beside it: median ${median(uncorrected).toFixed(1)} ms`,
    reference: 'true latency of the scheduled requests',
    rounds: corrected,
    unit: 'ms',
    what: 'coordinated omission: corrected p99, 200/s through a 1 s stall',
  })
}

// --- memory: 1000 connections for a while, then a million requests, in a process of its own --------------
async function memory(): Promise<void> {
  const server = await startServer('fast')
  const measure = (connections: number, durationMs: number, requests: number): {samples: number[]; start: number} =>
    JSON.parse(
      execFileSync(
        'taskset',
        [
          '-c',
          '1',
          process.execPath,
          path.join(HERE, 'clients/memory.mjs'),
          server.url,
          String(connections),
          String(durationMs),
          String(requests),
        ],
        {encoding: 'utf8', maxBuffer: 1 << 24},
      ),
    )
  // Flat: the highest RSS of the run's last part at most 10% above that of its first part.
  const flatness = (run: {samples: number[]; start: number}, part: number) => {
    const slice = Math.max(1, Math.floor(run.samples.length * part))
    const first = Math.max(...run.samples.slice(0, slice))
    const last = Math.max(...run.samples.slice(-slice))
    return {
      flat: last <= first * 1.1,
      note:
        `RSS at start ${run.start.toFixed(0)} MB; max of the first ${part * 100}% ${first.toFixed(0)} MB, of the ` +
        `last ${part * 100}% ${last.toFixed(0)} MB (flat: the last at most 10% above the first)`,
    }
  }
  try {
    const seconds = QUICK ? 10 : 60
    const held = measure(1000, seconds * 1000, 0)
    const heldFlat = flatness(held, 0.5)
    rows.push({
      goal: '≤ 150 MB, flat',
      meets: (r) => r <= 150 && heldFlat.flat,
      note: heldFlat.note,
      reference: 'absolute (MB)',
      rounds: [{reference: 1, value: Math.max(...held.samples)}],
      unit: 'MB',
      what: `RSS of the engine's process, 1000 connections for ${seconds} s`,
    })
    const requests = QUICK ? 100_000 : 1_000_000
    const long = measure(50, 600_000, requests)
    const longFlat = flatness(long, 0.1)
    rows.push({
      goal: '≤ 150 MB, flat',
      meets: (r) => r <= 150 && longFlat.flat,
      note: longFlat.note,
      reference: 'absolute (MB)',
      rounds: [{reference: 1, value: Math.max(...long.samples)}],
      unit: 'MB',
      what: `RSS of the engine's process over ${requests.toLocaleString('en-US')} requests`,
    })
  } finally {
    server.stop()
  }
}

// --- until: confident against the same target at fixed duration, through the CLI -------------------------
async function untilConfident(): Promise<void> {
  const server = await startServer('lognormal', {medianMs: 5, seed: 7, sigma: 0.5})
  const project = mkdtempSync(path.join(os.tmpdir(), 'phasegate-bench-'))
  mkdirSync(path.join(project, 'gates'))
  const gate = (until: string) =>
    `version: 1\ntargets:\n  - id: api\n    validator: http\n    with: {url: "${server.url}", connections: 10, ` +
    `duration: ${SECONDS * 2}s${until}}\n    expect: [p95(latency) < 50ms]\n`
  writeFileSync(path.join(project, 'gates', 'fixed.yaml'), gate(''))
  writeFileSync(path.join(project, 'gates', 'confident.yaml'), gate(', until: confident, min_duration: 1s'))
  const run = (name: string): {status: string; durationMs: number} => {
    let out: string
    try {
      out = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'check', name, '--json'], {
        cwd: project,
        encoding: 'utf8',
      })
    } catch (error) {
      out = (error as {stdout: string}).stdout
    }
    const target = JSON.parse(out).targets[0]
    return {durationMs: target.evidence.durationMs, status: target.status}
  }
  const rounds: Row['rounds'] = []
  const verdicts: string[] = []
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const fixed = run('fixed')
      const confident = run('confident')
      verdicts.push(`${fixed.status}/${confident.status}`)
      rounds.push({reference: fixed.durationMs, value: confident.durationMs})
    }
  } finally {
    server.stop()
    rmSync(project, {force: true, recursive: true})
  }
  const same = verdicts.every((v) => v.split('/')[0] === v.split('/')[1])
  rows.push({
    goal: 'same verdict, less time',
    meets: (r) => same && r < 1,
    note: `verdicts fixed/confident per round: ${verdicts.join(', ')}`,
    reference: `the same target for a fixed ${SECONDS * 2} s`,
    rounds,
    unit: 'ms measured',
    what: '`until: confident`: time to a verdict, p95 < 50 ms on a ~5 ms server',
  })
}

// --- start-up: whole processes against bare Node ---------------------------------------------------------
function startup(): void {
  const project = mkdtempSync(path.join(os.tmpdir(), 'phasegate-bench-'))
  mkdirSync(path.join(project, 'gates'))
  writeFileSync(
    path.join(project, 'gates', 'trivial.yaml'),
    'version: 1\ntargets:\n  - id: claimed\n    validator: claim\n    with: {metric: latency, value: 10ms, source: ' +
      'bench}\n    expect: [latency < 1s]\n',
  )
  // Node's compile cache and the bundle's code caches in a folder of this run's own: the first start of each command
  // writes them (timed apart, in the rows' notes), the rounds take them as every later start does.
  const env = {...process.env, NODE_COMPILE_CACHE: path.join(project, 'compile-cache')}
  const time = (argv: string[]): number => {
    const began = performance.now()
    try {
      execFileSync(process.execPath, argv, {cwd: project, env, stdio: 'ignore'})
    } catch {
      // `gate check` exits 1 (a claim never PASSes): the time is what counts.
    }
    return performance.now() - began
  }
  const bare: number[] = []
  const help: number[] = []
  const check: number[] = []
  const bin = path.join(ROOT, 'bin', 'run.js')
  const first = {check: time([bin, 'check', 'trivial', '--progress', 'none']), help: time([bin, '--help'])}
  for (let round = 0; round < ROUNDS * 2; round++) {
    bare.push(time(['-e', '0']))
    help.push(time([bin, '--help']))
    check.push(time([bin, 'check', 'trivial', '--progress', 'none']))
  }
  rmSync(project, {force: true, recursive: true})
  rows.push({
    goal: '≤ 2.0x',
    meets: (r) => r <= 2,
    note: `the first start, without caches: ${first.help.toFixed(0)} ms`,
    reference: '`node -e 0`',
    rounds: help.map((value, i) => ({reference: bare[i]!, value})),
    unit: 'ms',
    what: '`gate --help`, whole process',
  })
  rows.push({
    goal: '≤ 2.5x',
    meets: (r) => r <= 2.5,
    note: `the first start, without caches: ${first.check.toFixed(0)} ms`,
    reference: '`node -e 0`',
    rounds: check.map((value, i) => ({reference: bare[i]!, value})),
    unit: 'ms',
    what: '`gate check` on a one-claim gate, whole process',
  })
}

// --- the engine alone: 20 targets × 100,000 samples ----------------------------------------------------
function engine(): void {
  const targets: TargetInput[] = Array.from({length: 20}, (_, t) => {
    let state = t + 1
    const samples = Array.from({length: 100_000}, () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31
      return 10 + (state / 2 ** 31) * 40
    })
    return {
      collected: {
        evidence: {
          kind: 'measured',
          metrics: {latency: {dimension: 'duration', samples, type: 'samples'}},
          source: 'bench',
        },
      },
      expectations: ['p95(latency) < 100ms', 'mean(latency) < 40ms'].map((text) => parseExpectation(text)),
      id: `t${t}`,
      level: 'error',
      required: true,
      title: `t${t}`,
      validator: 'bench',
      weight: 1,
    }
  })
  const times: number[] = []
  let rss = 0
  for (let round = 0; round < ROUNDS; round++) {
    // Fresh arrays each round: the engine sorts a sample set once per array, and a round must pay for it as a run does.
    const fresh = targets.map((target) => structuredClone(target))
    const began = performance.now()
    evaluateGate({confidence: 0.95, minConsensus: 0.85, resamples: 2000, seed: round}, fresh)
    times.push(performance.now() - began)
    rss = Math.max(rss, process.memoryUsage().rss)
  }
  rows.push({
    goal: '< 1 s',
    meets: (r) => r < 1000,
    note:
      `p95 and mean per target, B = 2000; RSS of the bench process with the 2,000,000 samples ` +
      `held: ${(rss / 1024 ** 2).toFixed(0)} MB`,
    reference: 'absolute (ms)',
    rounds: times.map((value) => ({reference: 1, value})),
    unit: 'ms',
    what: 'engine: decide 20 targets × 100,000 samples (p95 by counting, mean by bootstrap-t)',
  })
}

// --- run, print, save -----------------------------------------------------------------------------------
const load = os.loadavg()[0]!.toFixed(2)
const shown = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3))
const sections: Partial<Record<Section, {markdown: string; json: object}>> = {}

if (runs('performance')) {
  console.error(
    `bench: ${ROUNDS} rounds, ${SECONDS} s load runs${QUICK ? ' (quick)' : ''}; about ${QUICK ? 5 : 20} minutes. ` +
      `Load average at start ${load}.`,
  )
  try {
    if (measures('engine')) engine()
    if (measures('startup')) startup()
    if (measures('throughput')) await throughput(50)
    if (measures('throughput')) await throughput(1000)
    if (measures('accuracy')) await accuracy()
    if (measures('omission')) await omission()
    if (measures('until')) await untilConfident()
    if (measures('memory')) await memory()
  } finally {
    stopAll()
  }

  const table = [
    '| what | reference | goal | measured (median [min–max]) | reference (median) | ratio (median [min–max]) | met |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => {
      const values = row.rounds.map((r) => r.value)
      const ratios = row.rounds.map((r) => r.value / r.reference)
      const absolute = row.reference.startsWith('absolute')
      const ratio = median(ratios)
      const measured = `${shown(median(values))} [${shown(Math.min(...values))}–${shown(Math.max(...values))}]`
      const reference = absolute ? '—' : `${shown(median(row.rounds.map((r) => r.reference)))} ${row.unit}`
      const ratioRange = `${ratio.toFixed(2)}x [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]`
      const met = (row.meets(absolute ? median(values) : ratio) ? 'yes' : '**no**') + (row.note ? ` — ${row.note}` : '')
      const cells = [
        row.what,
        row.reference,
        row.goal,
        `${measured} ${row.unit}`,
        reference,
        absolute ? '—' : ratioRange,
        met,
      ]
      return `| ${cells.join(' | ')} |`
    }),
  ]
  const header =
    `Measured ${new Date().toISOString()} on ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ` +
    `Node ${process.version}, load average ${load} at start; ` +
    `${ROUNDS} interleaved rounds${QUICK ? ', --quick' : ''}; server on core 0, clients on core 1 (taskset).` +
    (ROWS ? ` Measured in this run: ${ROWS.join(', ')}; the other rows are from an earlier run.` : '')
  const lines = ROWS ? [...table.slice(0, 2), ...withEarlierRows(table.slice(2))] : table
  sections.performance = {
    json: {
      cpus: os.cpus().length,
      date: new Date().toISOString(),
      loadAverage: os.loadavg(),
      node: process.version,
      quick: QUICK,
      rounds: ROUNDS,
      rows: withEarlierJsonRows(rows.map(({meets, ...row}) => row)),
      taskset: {clients: 1, server: 0},
    },
    markdown: `${header}\n\n${lines.join('\n')}`,
  }
}

if (runs('calibration')) {
  console.error(
    'bench: calibration, every method × shape × n with the truth on the threshold and 20% beside it; a few minutes ' +
      'on one core.',
  )
  const began = performance.now()
  const calibration = calibrationRows(SCALE, (line) => console.error(`  ${line}`))
  const seconds = (performance.now() - began) / 1000
  const header =
    `Calibration measured ${new Date().toISOString()} on ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ` +
    `${process.version}, in ${seconds.toFixed(0)} s: each cell is false PASS / false FAIL / power, in % of the ` +
    `sample sets. False PASS and false FAIL: the truth exactly on the threshold, confidence 0.95, so each should ` +
    `be at most 5%; "within slack" means neither count exceeds the 99.9% quantile of Binomial(sets, 0.05). ` +
    `Power: the share PASSed with the truth at 0.8× the threshold for <, 1.25× for >. Sets per cell: ` +
    `${400 * SCALE} (mean and stddev: ${400 * SCALE} at n ≤ 100, ${200 * SCALE} above, bootstrap-t with B = ` +
    `999), ${SCALE}× those of test/unit/engine/calibration.test.ts (\`-- --calibration-scale K\`); a share of 5% ` +
    `from ${200 * SCALE} sets has a standard error of ` +
    `${(100 * Math.sqrt((0.05 * 0.95) / (200 * SCALE))).toFixed(1)} points. A quantile's shares are also known ` +
    `exactly (the test sums them for every n from 3 to 2000): never above 5%.`
  sections.calibration = {
    json: {date: new Date().toISOString(), node: process.version, rows: calibration, seconds},
    markdown: `${header}\n\n${fullTable(calibration)}\n\nCompact (README):\n\n${compactTable(calibration)}`,
  }
}

/** The last table's rows, with those of this run (found by their first cell) in their place. */
function withEarlierRows(fresh: string[]): string[] {
  const what = (line: string) => line.split(' | ')[0]
  const file = path.join(HERE, 'results.md')
  const earlier = (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('<!-- bench:performance end -->')[0]!
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| what ') && !line.startsWith('|---'))
  const merged = earlier.map((line) => fresh.find((f) => what(f) === what(line)) ?? line)
  return [...merged, ...fresh.filter((f) => !earlier.some((line) => what(line) === what(f)))]
}

function withEarlierJsonRows(fresh: Array<Omit<Row, 'meets'>>): unknown[] {
  const file = path.join(HERE, 'results.json')
  if (!ROWS || !existsSync(file)) return fresh
  const earlier = (JSON.parse(readFileSync(file, 'utf8')).performance?.rows ?? []) as Array<{what: string}>
  const merged: unknown[] = earlier.map((row) => fresh.find((f) => f.what === row.what) ?? row)
  return [...merged, ...fresh.filter((f) => !earlier.some((row) => row.what === f.what))]
}

// Each section between markers, so --only rewrites its own and keeps the other's last table.
const marker = (section: Section, end = false) => `<!-- bench:${section}${end ? ' end' : ''} -->`
const previous = existsSync(path.join(HERE, 'results.md')) ? readFileSync(path.join(HERE, 'results.md'), 'utf8') : ''
const previousSection = (section: Section): string | null => {
  const start = previous.indexOf(marker(section))
  if (start < 0)
    return section === 'performance' && previous.trim() !== '' && !previous.includes('<!-- bench:')
      ? previous.trim()
      : null
  const end = previous.indexOf(marker(section, true), start)
  return previous.slice(start + marker(section).length, end < 0 ? undefined : end).trim()
}
const previousJson = existsSync(path.join(HERE, 'results.json'))
  ? (JSON.parse(readFileSync(path.join(HERE, 'results.json'), 'utf8')) as Record<string, unknown>)
  : {}
const titles: Record<Section, string> = {calibration: '## Calibration', performance: '## Performance'}
const parts: string[] = []
const json: Record<string, unknown> = {}
for (const section of SECTIONS) {
  const markdown = sections[section]?.markdown ?? previousSection(section)
  if (markdown) {
    const body = markdown.replace(/^## (Performance|Calibration)\n\n/, '')
    parts.push(`${marker(section)}\n${titles[section]}\n\n${body}\n${marker(section, true)}`)
  }
  // Before sections, results.json held the performance object at its top level.
  const kept =
    section === 'performance' && !('performance' in previousJson) && 'rows' in previousJson
      ? previousJson
      : previousJson[section]
  const value = sections[section]?.json ?? kept
  if (value !== undefined) json[section] = value
}
for (const section of SECTIONS)
  if (sections[section]) console.log(`${titles[section]}\n\n${sections[section]!.markdown}\n`)
// Findings written by hand (e.g. where start-up time goes) between <!-- bench:notes --> markers are kept as they are.
const notes = /<!-- bench:notes -->[\s\S]*?<!-- bench:notes end -->/.exec(previous)?.[0]
if (notes) parts.push(notes)
writeFileSync(path.join(HERE, 'results.md'), `${parts.join('\n\n')}\n`)
writeFileSync(path.join(HERE, 'results.json'), `${JSON.stringify(json, null, 2)}\n`)
process.exit(0)
