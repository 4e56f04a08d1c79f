// Runs for the HTML report tests, decided by the real engine: every kind of evidence the charts draw (histograms and
// baselines included), many targets, long names and hostile text. Saved fixtures are reused from test/fixtures/results.
import {
  type BaselineInput,
  evaluateGate,
  type MetricEvidence,
  summarizeMetric,
  type TargetInput,
} from '../../src/engine/index.js'
import {hashSeed, Random} from '../../src/engine/random.js'
import {RESULTS_SCHEMA_ID, type RunResults} from '../../src/results/types.js'
import {validateResults} from '../../src/results/validate.js'
import {target as engineTarget} from '../unit/engine/helpers.js'
import {loadFixture} from '../unit/report/helpers.js'

export {loadFixture}

const SETTINGS = {confidence: 0.95, minConsensus: 0.85, resamples: 300, seed: 7}

/** What `gate check` saves, around a real engine evaluation, read back through JSON and the schema. */
export function runOf(gate: {name: string; title: string}, targets: TargetInput[]): RunResults {
  const evaluation = evaluateGate(SETTINGS, targets)
  const results: RunResults = {
    $schema: RESULTS_SCHEMA_ID,
    version: 1,
    id: `${gate.name}-20251009T000000Z`,
    tool: {name: 'phasegate', version: '0.1.0'},
    gate: {file: `gates/${gate.name}.yaml`, name: gate.name, sha256: '0'.repeat(64), title: gate.title},
    startedAt: '2025-10-09T00:00:00.000Z',
    finishedAt: '2025-10-09T00:01:00.000Z',
    durationMs: 60_000,
    environment: {
      arch: 'x64',
      ci: true,
      cpu: {count: 2, model: 'test'},
      git: {branch: 'main', commit: 'a'.repeat(40), dirty: false},
      memoryBytes: 2 ** 33,
      node: 'v20.19.0',
      platform: 'linux',
    },
    settings: SETTINGS,
    ...evaluation,
    interrupted: false,
    warnings: [],
  }
  return validateResults(JSON.parse(JSON.stringify(results)))
}

/** Latencies with a long right tail (log-normal around `median`), reproducible from `seed`. */
export function latencies(seed: string, n: number, median: number, spread = 0.6): number[] {
  const random = new Random(hashSeed(seed))
  return Array.from({length: n}, () => {
    // Box-Muller from two uniforms in (0, 1].
    const z =
      Math.sqrt(-2 * Math.log(1 - random.nextUint32() / 2 ** 32)) *
      Math.cos((2 * Math.PI * random.nextUint32()) / 2 ** 32)
    return median * Math.exp(spread * z)
  })
}

const samples = (values: number[], dimension: 'duration' | 'size' | 'ratio' = 'duration'): MetricEvidence => ({
  dimension,
  samples: values,
  type: 'samples',
})

function baselineOf(name: string, metrics: Record<string, MetricEvidence>): BaselineInput {
  return {
    metrics: Object.fromEntries(
      Object.entries(metrics).map(([metric, evidence]) => [
        metric,
        {evidence, summary: summarizeMetric(metric, evidence)},
      ]),
    ),
    name,
    run: `${name}-20251001T000000Z`,
  }
}

/** The engine tests' target, under a title of its own. */
function target(
  id: string,
  title: string,
  expectations: string[],
  collected: TargetInput['collected'],
  extra: Partial<TargetInput> = {},
): TargetInput {
  return engineTarget(id, expectations, collected, {title, ...extra})
}

/**
 * One target per kind of chart: latency distribution with a baseline, hit rate, speed-up, throughput, memory, claim, no
 * data.
 */
export function chartsRun(): RunResults {
  return runOf({name: 'charts', title: 'Every kind of chart'}, [
    target(
      'api-latency',
      'API latency under load',
      ['p95(latency) < 150ms', 'p99(latency) < 400ms', 'p95(latency) <= baseline * 1.10', 'count(latency) >= 1000'],
      {
        evidence: {
          durationMs: 20_000,
          kind: 'measured',
          metrics: {latency: samples(latencies('now', 2000, 40))},
          source: 'live: GET http://127.0.0.1:8080/api',
        },
      },
      {baseline: baselineOf('main', {latency: samples(latencies('then', 2000, 38))})},
    ),
    target(
      'hit-rate',
      'Cache hit rate',
      ['hit_rate >= 90%', 'hit_rate >= baseline * 0.98'],
      {
        evidence: {
          kind: 'measured',
          metrics: {hit_rate: {events: 9231, trials: 10_000, type: 'proportion'}},
          source: 'live: redis INFO',
        },
      },
      {baseline: baselineOf('main', {hit_rate: {events: 9300, trials: 10_000, type: 'proportion'}})},
    ),
    target('speedup', 'WASM speed-up over JS', ['mean(speedup) >= 40x'], {
      evidence: {
        kind: 'measured',
        metrics: {speedup: samples(latencies('speedup', 80, 52, 0.05), 'ratio')},
        source: 'live: bench',
      },
    }),
    target('throughput', 'Throughput', ['throughput >= 1000/s'], {
      evidence: {
        kind: 'measured',
        metrics: {throughput: {dimension: 'rate', type: 'value', value: 1234}},
        source: 'live: load',
      },
    }),
    target(
      'memory',
      'Memory per worker',
      ['p99(rss) < 512MiB'],
      {
        evidence: {
          kind: 'measured',
          metrics: {rss: samples(latencies('rss', 200, 300 * 2 ** 20, 0.2), 'size')},
          source: 'live: /proc',
        },
      },
      {required: false, level: 'warn'},
    ),
    target(
      'claimed',
      'Vendor claim: refresh under 1 s',
      ['refresh < 1s'],
      {
        evidence: {
          kind: 'claim',
          metrics: {refresh: {dimension: 'duration', type: 'value', value: 850}},
          source: 'vendor report',
        },
      },
      {required: false, level: 'warn'},
    ),
    target(
      'missing',
      'Dashboard refresh',
      ['p95(refresh) < 1s'],
      {noData: 'validator dashboard threw: connect ECONNREFUSED 127.0.0.1:41873'},
      {required: false, level: 'warn'},
    ),
  ])
}

/** `count` targets of every kind in turn, some with long names. */
export function manyTargetsRun(count: number): RunResults {
  const kinds = (i: number): TargetInput['collected'] => {
    switch (i % 4) {
      case 0:
        return {
          evidence: {
            kind: 'measured',
            metrics: {latency: samples(latencies(`t${i}`, 200, 20 + i * 3))},
            source: 'live',
          },
        }
      case 1:
        return {
          evidence: {
            kind: 'measured',
            metrics: {hit_rate: {events: 900 + i, trials: 1000, type: 'proportion'}},
            source: 'live',
          },
        }
      case 2:
        return {
          evidence: {
            kind: 'artifact',
            metrics: {throughput: {dimension: 'rate', type: 'value', value: 900 + i * 10}},
            source: 'k6 summary',
          },
        }
      default:
        return {noData: `validator ${i} timed out after 30 s`}
    }
  }
  const expectation = (i: number) =>
    [['p95(latency) < 150ms'], ['hit_rate >= 90%'], ['throughput >= 1000/s'], ['p95(latency) < 1s']][i % 4]!
  return runOf(
    {name: 'many', title: `A gate with ${count} targets`},
    Array.from({length: count}, (_, i) =>
      target(
        `target-${i + 1}`,
        i % 5 === 0 ? `Target ${i + 1}: ${'a long descriptive name '.repeat(4)}` : `Target ${i + 1}`,
        expectation(i),
        kinds(i),
        {required: i % 4 !== 3},
      ),
    ),
  )
}

const LONG_WORD = `${'Supercalifragilistic'.repeat(12)}`

/** Names that do not fit: one very long word, right-to-left text, wide characters. */
export function longNamesRun(): RunResults {
  const run = runOf({name: 'long', title: `Long names ${LONG_WORD}`}, [
    target(`id-${LONG_WORD}`, LONG_WORD, ['p95(latency) < 100ms'], {
      evidence: {
        kind: 'measured',
        metrics: {latency: samples(latencies('long', 300, 30))},
        source: `live: http://127.0.0.1:1/${LONG_WORD}`,
        notes: [`note ${LONG_WORD}`],
      },
    }),
    target(
      'rtl',
      'זמן תגובה של השרת — وقت الاستجابة \u202eevil\u202c 応答時間の目標値を満たすこと',
      ['hit_rate >= 90%'],
      {
        evidence: {
          kind: 'measured',
          metrics: {hit_rate: {events: 95, trials: 100, type: 'proportion'}},
          source: 'live',
        },
      },
    ),
    target(
      'words',
      'A title of many ordinary words that goes on and on, as titles written by committees tend to do, well past ' +
        'any column',
      ['throughput >= 10/s'],
      {
        evidence: {
          kind: 'measured',
          metrics: {throughput: {dimension: 'rate', type: 'value', value: 12}},
          source: 'live',
        },
      },
    ),
  ])
  // Metric names come from validators; the engine's grammar keeps them short, a hand-made file need not.
  const metric = run.targets[0]!.evidence!.metrics[0]!
  metric.name = `latency_${LONG_WORD}`
  run.targets[0]!.expectations[0]!.metric = metric.name
  return run
}

/** Markup, script, template and bidi text in every field the HTML shows, charts and their labels included. */
export const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(2)>',
  '</svg><script>alert(3)</script>',
  "'><svg onload=alert(4)>",
  '{{constructor.constructor}}',
  '<style>*{display:none}</style>',
  '\u202eevil',
  'javascript:alert(5)',
]

export function hostileChartsRun(): RunResults {
  const run = chartsRun()
  const text = HOSTILE.join(' ')
  run.gate.title = text
  run.id = `hostile ${text}`
  run.warnings = [text]
  run.decision.reason = `${run.decision.reason} ${text}`
  run.gate.nextPhase = [text, `${HOSTILE[4]} ${HOSTILE[6]}`]
  for (const t of run.targets) {
    t.narrative = {
      notes: text,
      owner: text,
      recommendation: text,
      risk: {impact: 'high', likelihood: 'medium', mitigation: text},
    }
    t.title = `${t.title} ${text}`
    t.validator = text
    if (t.reason) t.reason = text
    if (t.evidence) {
      t.evidence.source = text
      t.evidence.notes = [text]
      for (const m of t.evidence.metrics) m.name = `${m.name}${HOSTILE[1]}`
    }
    for (const e of t.expectations) {
      e.metric = `${e.metric}${HOSTILE[1]}`
      e.expression = `${e.expression} ${HOSTILE[2]}`
      if (e.baseline) e.baseline = {...e.baseline, name: HOSTILE[3]!, run: HOSTILE[0]!}
    }
  }
  return validateResults(JSON.parse(JSON.stringify(run)))
}
