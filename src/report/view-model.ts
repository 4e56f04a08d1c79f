// The one place where a report's content is decided: a pure function from RunResults to plain text and
// numbers already formatted. Formats only escape this view and lay it out, so they cannot disagree.
import type {
  BaselineComparison,
  Dimension,
  EvidenceKind,
  ExpectationVerdict,
  MetricSummary,
  NextStep,
  Outcome,
  PMethod,
  Status,
  StatusWord,
  StepAction,
  TargetVerdict,
} from '../engine/types.js'
import {consensusReaches, ruleChecks} from '../engine/decision.js'
import {bottlenecks, headlineExpectation, nextSteps, outcomeIfAllSettled, statusWord} from '../engine/outlook.js'
import {formatValue} from '../engine/units.js'
import {noisePhrases} from '../results/noise.js'
import type {RecordedTarget, RunResults} from '../results/types.js'
import {clip} from './escape.js'
import {type MermaidConfidenceChart, mermaidConfidenceChart} from './html/mermaid.js'
import {intervalText, marginText, NONE, quantity, score, seconds, thresholdText, threeDecimals} from './numbers.js'
import {marginPct} from '../engine/verdict.js'

export const STATUS_ICON: Readonly<Record<Status, string>> = {FAIL: '❌', INCONCLUSIVE: '⚠️', NO_DATA: '⛔', PASS: '✅'}
/** Plain-text marks for terminals and logs; only PASS gets a tick. */
export const STATUS_MARK: Readonly<Record<Status, string>> = {FAIL: '✗', INCONCLUSIVE: '?', NO_DATA: '∅', PASS: '✓'}
export const OUTCOME_ICON: Readonly<Record<Outcome, string>> = {BLOCK: '⛔', INCONCLUSIVE: '⚠️', PROCEED: '✅'}
const STATUSES: readonly Status[] = ['PASS', 'FAIL', 'INCONCLUSIVE', 'NO_DATA']
const WORDS: readonly StatusWord[] = ['EXCEEDED', 'MET', 'MISSED', 'UNPROVEN']
/** What each status word means, for the summary's legend. */
const WORD_MEANING: Readonly<Record<StatusWord, string>> = {
  EXCEEDED: 'PASS, and its one-sided bound clears the threshold by a fifth or more',
  MET: 'PASS',
  MISSED: 'FAIL',
  UNPROVEN: 'INCONCLUSIVE or NO_DATA: the evidence cannot say yet (a claim is always here)',
}
/** What the recommendation says for each outcome. */
const RECOMMENDATION: Readonly<Record<Outcome, string>> = {
  BLOCK: 'do not move past this gate yet',
  INCONCLUSIVE: 'measure more before deciding: the evidence cannot settle a required target',
  PROCEED: 'move on to the next phase',
}

/** Table cells stay readable; everything else is capped so a hostile file cannot blow up a PR comment. */
const LABEL_MAX = 60
const TEXT_MAX = 400

export interface ExpectationView {
  expression: string
  metric: string
  /** "p95(allocation_latency)", or the metric alone for a single value. */
  subject: string
  status: Status
  icon: string
  value: string
  threshold: string
  /** "41.2 ms vs < 100 ms" */
  versus: string
  margin: string
  interval: string
  bound: string
  n: string
  p: string
  method: string
  reason: string | null
  /**
   * INCONCLUSIVE only: "about 57 more samples of failover_time would likely decide it (toward PASS)", or why none
   * would.
   */
  more: string | null
  /** For a relative expectation that found its baseline: the change, its interval and the model that decided. */
  baseline: BaselineView | null
}

export interface BaselineView {
  name: string
  run: string
  /** The statistic in the baseline run. */
  value: string
  /** "+12.3%" */
  change: string
  /** "[+8.1%, +16.0%]" */
  interval: string
  model: string
  /** Mann-Whitney two-sided p, or — without samples on both sides. */
  mannWhitneyP: string
  /** "+12.3% [+8.1%, +16.0%] vs baseline main (36.7 ms)" */
  text: string
}

export interface SampledMetricView {
  name: string
  n: string
  mean: string
  p50: string
  p90: string
  p95: string
  p99: string
  min: string
  max: string
}

export interface TargetView {
  number: number
  id: string
  /** The whole title: Markdown and HTML never cut it (only a hostile length is capped). */
  title: string
  /** The title clipped, for the terminal and chart labels. */
  label: string
  validator: string
  status: Status
  /** MET, EXCEEDED, MISSED or UNPROVEN, from the engine. */
  word: StatusWord
  icon: string
  mark: string
  /** Only PASS ticks a checklist box. */
  passed: boolean
  failed: boolean
  noData: boolean
  inconclusive: boolean
  confidence: string
  p: string
  weight: string
  required: boolean
  requiredText: string
  level: 'error' | 'warn'
  /** Seconds the evidence window lasted, for JUnit. */
  time: string
  evidenceKind: string
  evidence: null | {kind: EvidenceKind; source: string; quality: string; duration: string | null; notes: string[]}
  sampledMetrics: SampledMetricView[]
  /** Metrics with one value or counts: "hit_rate: 92.3% (9,231 of 10,000)". */
  singleMetrics: string[]
  expectations: ExpectationView[]
  /** The expectation that sets P_target (smallest P, then smallest margin). */
  worst: ExpectationView | null
  /** The expectation the target is summed up by: its primary (first) one, unless another decides its status. */
  lead: ExpectationView | null
  /** The lead's "p95(allocation_latency) 41.2 ms vs < 100 ms", or why there is no data. */
  headline: string
  /** Expectations compared with a baseline, for the change-vs-baseline table. */
  compared: ExpectationView[]
  /**
   * The worst compared expectation's change in one line ("p95(latency) +12.3% [+8.1%, +16.0%] vs baseline main"), or
   * null.
   */
  change: string | null
  reason: string | null
  /**
   * The machine's load while the validator ran ("load 1.2 on 2 cores, CPU steal 0%, gate CPU 0.41 …, over 3.2 s"); null
   * when not recorded.
   */
  machine: string | null
  /** "busy machine: load 3.4 on 2 cores; gate CPU 0.97" for a target measured on a busy machine, else null. */
  busyNote: string | null
  /** What the gate file says about the target (owner, notes, recommendation, risk), or null when it says nothing. */
  narrative: NarrativeView | null
}

export interface NarrativeView {
  owner: string | null
  notes: string | null
  recommendation: string | null
  risk: null | {likelihood: string; impact: string; mitigation: string}
}

export interface ConditionView {
  rule: number
  text: string
  holds: boolean
  mark: string
  detail: string
  decided: boolean
}

/** A risk the gate file names or the results show, in the seed reports' terms. */
export interface RiskView {
  label: string
  icon: string
  status: Status
  /** "gate file" (the team's judgement, owner named) or "computed" (from this run's results). */
  source: string
  risk: string
  likelihood: string
  impact: string
  mitigation: string
}

export interface BottleneckView {
  label: string
  targetIcon: string
  status: Status
  expression: string
  subject: string
  versus: string
  /** weight × shortfall, the ranking. */
  severity: string
  /** "1 × 97.4%" */
  severityWhy: string
  /** What the evidence says limits it: where the distribution sits, its interval, the validator's notes, the machine */
  limit: string
}

export interface NextStepView {
  rank: number
  label: string
  icon: string
  status: Status
  /** "measure about 57 more samples of failover_time; bring lost_tasks == 0 from 2 to == 0" */
  actions: string
  /** "+0.120" */
  gain: string
  consensusAfter: string
  outcomeAfter: Outcome
  /** True when this step alone would change the decision. */
  changesDecision: boolean
}

export interface BreakdownRow {
  label: string
  weight: string
  quality: string
  p: string
  confidence: string
  contribution: string
}

export interface ReportView {
  runId: string
  tool: string
  gate: {name: string; title: string; file: string; sha256: string}
  decision: {
    outcome: Outcome
    icon: string
    proceeds: boolean
    rule: number
    sentence: string
    consensus: string
    minConsensus: string
    /** Unrounded, for machines (JUnit properties). */
    consensusValue: number
    minConsensusValue: number
    consensusMet: boolean
    deciding: string[]
  }
  startedAt: string
  finishedAt: string
  duration: string
  commit: string
  interrupted: boolean
  /** `gate check --against`: "Baseline HEAD@1a2b3c4, measured side by side in 4 alternating rounds …"; else null. */
  against: string | null
  counts: Array<{status: Status; icon: string; count: number}>
  /** How many targets each status word describes, with what the word means. */
  words: Array<{word: StatusWord; count: number; meaning: string}>
  summary: string
  /** The executive summary's recommendation and its reasoning, all from the engine's decision and outlook. */
  recommendation: {
    /** "do not move past this gate yet" */
    text: string
    /** Which rules held and which did not, and which targets decided. */
    reasoning: string[]
    /** What would change the decision, from the ranked next steps. */
    change: string
  }
  targets: TargetView[]
  /**
   * Expectation rows carry their target's icon, never their own: a passing expectation of a failing target must not
   * show a tick on that target's row.
   */
  bottlenecks: BottleneckView[]
  conditions: ConditionView[]
  risks: RiskView[]
  /** Every target that does not PASS, ranked by how much settling it would raise the consensus. */
  nextSteps: NextStepView[]
  /** The gate file's conditions for the next gate. */
  nextPhase: string[]
  improvements: Array<{label: string; icon: string; status: string; headline: string; measure: string}>
  breakdown: {rows: BreakdownRow[]; totalWeight: string; sum: string; consensus: string}
  methodology: {
    methods: Array<{name: PMethod; uses: string; text: string}>
    boundRule: string
    confidenceRule: string
    statusRule: string
    consensusRule: string
    settings: string
  }
  environment: {node: string; os: string; cpu: string; memory: string; git: string; ci: string}
  warnings: string[]
  /** JUnit totals: one testcase per target plus one for the decision. */
  suite: {tests: number; failures: number; errors: number; skipped: number; time: string; timestamp: string}

  // ── Charts (issue 9, HTML report half): fields for charts; keep additions for charts in this block. ──
  /** Confidence per target for the Markdown report's Mermaid chart; its labels survive every escaper unchanged. */
  confidenceChart: MermaidConfidenceChart
}

export function buildReportView(results: RunResults): ReportView {
  const {decision, settings} = results
  const targets = results.targets.map((target, index) => targetView(target, index, results))
  // Keyed by the unclipped id, which is what decision.deciding and decision.improvements hold.
  const byId = new Map(results.targets.map((target, index) => [target.id, targets[index]!]))
  const count = (status: Status) => results.targets.filter((t) => t.status === status).length
  const titleOf = (id: string) => byId.get(id)?.title ?? clip(id, TEXT_MAX)
  const steps = nextSteps(results.targets, settings)
  return {
    runId: clip(results.id, TEXT_MAX),
    tool: `${results.tool.name} ${results.tool.version}`,
    gate: {
      name: clip(results.gate.name, TEXT_MAX),
      title: clip(results.gate.title || results.gate.name, TEXT_MAX),
      file: clip(results.gate.file, TEXT_MAX),
      sha256: results.gate.sha256,
    },
    decision: {
      outcome: decision.outcome,
      icon: OUTCOME_ICON[decision.outcome],
      proceeds: decision.outcome === 'PROCEED',
      rule: decision.rule,
      sentence: clip(decidingSentence(decision.rule, decision.reason), TEXT_MAX),
      consensus: score(results.consensus, decision.minConsensus),
      minConsensus: score(decision.minConsensus, results.consensus),
      consensusMet: consensusReaches(results.consensus, decision.minConsensus),
      consensusValue: results.consensus,
      minConsensusValue: decision.minConsensus,
      deciding: decision.deciding.map(titleOf),
    },
    startedAt: results.startedAt,
    finishedAt: results.finishedAt,
    duration: formatValue(results.durationMs, 'duration'),
    commit: commitText(results.environment.git),
    interrupted: results.interrupted,
    against: results.against ? againstText(results.against) : null,
    counts: STATUSES.map((status) => ({count: count(status), icon: STATUS_ICON[status], status})),
    words: WORDS.map((word) => ({
      count: targets.filter((t) => t.word === word).length,
      meaning: WORD_MEANING[word],
      word,
    })),
    summary:
      `${plural(results.targets.length, 'target')} (${results.targets.filter((t) => t.required).length} ` +
      `required): ${STATUSES.map((s) => `${count(s)} ${s}`).join(', ')}`,
    recommendation: recommendationView(results, steps, titleOf),
    targets,
    bottlenecks: bottleneckViews(results.targets, targets),
    conditions: conditions(results),
    risks: targets.flatMap((view, index) => risksOf(results.targets[index]!, view, results)),
    nextSteps: steps.map((step, index) => nextStepView(step, index, results, byId.get(step.target)!)),
    nextPhase: (results.gate.nextPhase ?? []).map((condition) => clip(condition, TEXT_MAX)),
    improvements: decision.improvements.map((id) => {
      const view = byId.get(id)
      if (!view)
        return {
          headline: 'not among the targets of this run',
          icon: '',
          label: clip(id, TEXT_MAX),
          measure: NONE,
          status: 'unknown',
        }
      return {
        headline: view.headline,
        icon: view.icon,
        label: view.title,
        measure: nextStep(results.targets[view.number - 1]!, view),
        status: view.status,
      }
    }),
    breakdown: breakdown(results.targets, targets, results.consensus),
    methodology: methodology(results),
    environment: environmentView(results.environment),
    warnings: results.warnings.map((w) => clip(w, TEXT_MAX)),
    suite: {
      errors: count('NO_DATA'),
      failures: count('FAIL') + (decision.outcome === 'PROCEED' ? 0 : 1),
      skipped: count('INCONCLUSIVE'),
      tests: results.targets.length + 1,
      time: seconds(results.durationMs),
      timestamp: results.startedAt,
    },
    // ── Charts (issue 9) ──
    confidenceChart: mermaidConfidenceChart(results),
  }
}

/** The engine writes "decided by rule N: …"; a hand-made file may not, and every report must name the rule. */
export function decidingSentence(rule: number, reason: string): string {
  return reason.startsWith(`decided by rule ${rule}`) ? reason : `decided by rule ${rule}: ${reason}`
}

/** The expectation that sets P_target: smallest P (no data first), then the smallest margin. */
export function worstExpectation(expectations: readonly ExpectationVerdict[]): ExpectationVerdict | undefined {
  const rank = (e: ExpectationVerdict) => [e.p ?? -1, e.marginPct ?? Number.POSITIVE_INFINITY] as const
  return expectations.reduce<ExpectationVerdict | undefined>((worst, e) => {
    if (!worst) return e
    const [p, margin] = rank(e)
    const [worstP, worstMargin] = rank(worst)
    return p < worstP || (p === worstP && margin < worstMargin) ? e : worst
  }, undefined)
}

function targetView(target: RecordedTarget, index: number, results: RunResults): TargetView {
  const expectations = target.expectations.map((e) => expectationView(e, results))
  const worstVerdict = worstExpectation(target.expectations)
  const worst = worstVerdict ? (expectations[target.expectations.indexOf(worstVerdict)] ?? null) : null
  const lead = expectations[headlineExpectation(target) ?? -1] ?? null
  const evidence = target.evidence
  const reason = target.reason ? clip(target.reason, TEXT_MAX) : null
  const compared = expectations.filter((e) => e.baseline !== null)
  const shown = worst?.baseline ? worst : compared[0]
  return {
    busyNote: target.noise?.busy
      ? clip(['busy machine', target.noise.reasons.join('; ')].filter(Boolean).join(': '), TEXT_MAX)
      : null,
    change: shown?.baseline ? `${shown.subject} ${shown.baseline.text}` : null,
    compared,
    confidence: threeDecimals(target.confidence),
    evidence: evidence && {
      duration: evidence.durationMs === undefined ? null : formatValue(evidence.durationMs, 'duration'),
      kind: evidence.kind,
      notes: evidence.notes.map((note) => clip(note, TEXT_MAX)),
      quality: evidence.quality.toFixed(2),
      source: clip(evidence.source, TEXT_MAX),
    },
    evidenceKind: evidence?.kind ?? 'none',
    expectations,
    failed: target.status === 'FAIL',
    headline:
      target.status === 'NO_DATA'
        ? `no data: ${reason ?? 'no reason recorded'}`
        : lead
          ? `${lead.subject} ${lead.versus}`
          : 'no expectations',
    icon: STATUS_ICON[target.status],
    id: clip(target.id, TEXT_MAX),
    inconclusive: target.status === 'INCONCLUSIVE',
    label: clip(target.title || target.id, LABEL_MAX),
    lead,
    level: target.level,
    machine: target.noise ? machineText(target.noise) : null,
    mark: STATUS_MARK[target.status],
    narrative: target.narrative ? narrativeView(target.narrative) : null,
    noData: target.status === 'NO_DATA',
    number: index + 1,
    p: threeDecimals(target.p),
    passed: target.status === 'PASS',
    reason,
    required: target.required,
    requiredText: target.required ? 'yes' : 'no',
    sampledMetrics: (evidence?.metrics ?? []).filter((m) => m.type === 'samples').map(sampledMetricView),
    singleMetrics: (evidence?.metrics ?? []).filter((m) => m.type !== 'samples').map(singleMetricText),
    status: target.status,
    time: seconds(evidence?.durationMs ?? 0),
    title: clip(target.title || target.id, TEXT_MAX),
    validator: clip(target.validator, TEXT_MAX),
    weight: formatValue(target.weight, 'count'),
    word: statusWord(target),
    worst,
  }
}

function narrativeView(narrative: NonNullable<RecordedTarget['narrative']>): NarrativeView {
  const text = (value: string | undefined) => (value === undefined ? null : clip(value, TEXT_MAX))
  return {
    notes: text(narrative.notes),
    owner: text(narrative.owner),
    recommendation: text(narrative.recommendation),
    risk: narrative.risk
      ? {
          impact: narrative.risk.impact,
          likelihood: narrative.risk.likelihood,
          mitigation: clip(narrative.risk.mitigation, TEXT_MAX),
        }
      : null,
  }
}

function machineText(noise: NonNullable<RecordedTarget['noise']>): string {
  const said = noisePhrases(noise)
  return `${said.load}, ${said.steal}, ${said.generator}, over ${formatValue(noise.windowMs, 'duration')}`
}

function expectationView(e: ExpectationVerdict, results: RunResults): ExpectationView {
  const value = quantity(e.value, e.dimension)
  const threshold = thresholdText(e)
  return {
    baseline: e.baseline ? baselineView(e.baseline, e.dimension) : null,
    bound: e.bound === null ? NONE : formatValue(e.bound, e.dimension),
    expression: clip(e.expression, TEXT_MAX),
    icon: STATUS_ICON[e.status],
    interval: intervalText(e.interval95, e.dimension),
    margin: marginText(e.marginPct),
    method:
      e.method === 'bootstrap'
        ? `bootstrap, B = ${formatValue(results.settings.resamples, 'count')}`
        : (e.method ?? NONE),
    metric: clip(e.metric, TEXT_MAX),
    n: formatValue(e.n, 'count'),
    p: threeDecimals(e.p),
    more: moreText(e),
    reason: e.reason ? clip(e.reason, TEXT_MAX) : null,
    status: e.status,
    subject: clip(e.statistic === 'value' ? e.metric : `${e.statistic}(${e.metric})`, TEXT_MAX),
    threshold,
    value,
    versus: `${value} vs ${threshold}`,
  }
}

/** What would decide an INCONCLUSIVE expectation, in one sentence. */
export function moreText(e: Pick<ExpectationVerdict, 'metric' | 'more'>): string | null {
  if (!e.more) return null
  if (e.more.samples === null) return clip(e.more.why, TEXT_MAX)
  const samples = e.more.samples
  return clip(
    `about ${formatValue(samples, 'count')} more sample${samples === 1 ? '' : 's'} of ${e.metric} would likely ` +
      `decide it, toward ${e.more.toward}, if the data go on as they are`,
    TEXT_MAX,
  )
}

function baselineView(b: BaselineComparison, dimension: Dimension): BaselineView {
  const percent = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(x * 100).toFixed(1)}%`
  const change = b.change === null ? NONE : percent(b.change)
  const interval = b.changeInterval95 ? `[${percent(b.changeInterval95[0])}, ${percent(b.changeInterval95[1])}]` : NONE
  const value = quantity(b.value, dimension)
  return {
    change,
    interval,
    mannWhitneyP: b.mannWhitneyP === null ? NONE : b.mannWhitneyP < 0.001 ? '< 0.001' : b.mannWhitneyP.toFixed(3),
    model: b.model,
    name: clip(b.name, LABEL_MAX),
    run: clip(b.run, LABEL_MAX),
    text: `${change}${b.changeInterval95 ? ` ${interval}` : ''} vs baseline ${clip(b.name, LABEL_MAX)} (${value})`,
    value,
  }
}

function sampledMetricView(m: MetricSummary): SampledMetricView {
  const v = (x: number | undefined) => (x === undefined ? NONE : formatValue(x, m.dimension))
  const n = formatValue(m.n, 'count')
  return {
    max: v(m.max),
    mean: v(m.mean),
    min: v(m.min),
    // A reservoir keeps n of the samples seen; say so, since the intervals come from the n.
    n: m.seen !== undefined && m.seen > m.n ? `${n} of ${formatValue(m.seen, 'count')} seen` : n,
    name: clip(m.name, LABEL_MAX),
    p50: v(m.p50),
    p90: v(m.p90),
    p95: v(m.p95),
    p99: v(m.p99),
  }
}

function singleMetricText(m: MetricSummary): string {
  const name = clip(m.name, LABEL_MAX)
  if (m.type === 'proportion') {
    const value = m.value ?? (m.trials ? (m.events ?? 0) / m.trials : undefined)
    return (
      `${name}: ${quantity(value, 'proportion')} (${formatValue(m.events ?? 0, 'count')} of ` +
      `${formatValue(m.trials ?? 0, 'count')})`
    )
  }
  return `${name}: ${quantity(m.value, m.dimension)} (one value, no spread)`
}

/** The engine's bottlenecks, most severe first (ten at most), each with what its evidence says limits it. */
function bottleneckViews(verdicts: readonly RecordedTarget[], views: readonly TargetView[]): BottleneckView[] {
  const index = new Map(verdicts.map((t, i) => [t.id, i]))
  return bottlenecks(verdicts)
    .slice(0, 10)
    .map((found) => {
      const at = index.get(found.target)!
      const [target, view] = [verdicts[at]!, views[at]!]
      const e = view.expectations[found.expectation]!
      const shortfall =
        found.shortfall === null ? 'a miss of a zero threshold, counted as 100%' : share(found.shortfall)
      return {
        expression: e.expression,
        label: view.title,
        limit: limitText(target, target.expectations[found.expectation]!, e, view),
        severity: found.severity.toFixed(2),
        severityWhy: `weight ${view.weight} × ${shortfall}`,
        status: e.status,
        subject: e.subject,
        targetIcon: view.icon,
        versus: e.versus,
      }
    })
}

/** "32.0%" */
function share(x: number): string {
  return `${(x * 100).toFixed(1)}%`
}

/**
 * What the evidence says limits an expectation past its threshold: for a high quantile, whether the median holds too
 * (a tail or the whole distribution), the 95% interval, the validator's first note, a busy machine.
 */
function limitText(
  target: RecordedTarget,
  e: ExpectationVerdict,
  view: ExpectationView,
  targetView: TargetView,
): string {
  const said: string[] = []
  const metric = target.evidence?.metrics.find((m) => m.name === e.metric)
  const level = /^p(\d+(?:\.\d+)?)$/.exec(e.statistic)?.[1]
  if (metric?.p50 !== undefined && e.threshold !== null && level !== undefined && Number(level) > 50) {
    const median = formatValue(metric.p50, e.dimension)
    const medianMargin = marginPct(metric.p50, e.operator, e.threshold)
    said.push(
      medianMargin !== null && medianMargin >= 0
        ? `the tail: the median ${median} is within ${view.threshold}, the ${e.statistic} ${view.value} is not`
        : `the whole distribution: even the median ${median} is past ${view.threshold}`,
    )
  }
  if (e.interval95) said.push(`95% interval ${view.interval} against ${view.threshold}`)
  if (view.reason) said.push(view.reason)
  const [note] = targetView.evidence?.notes ?? []
  if (note) said.push(`the validator notes: ${note}`)
  if (targetView.busyNote) said.push(`${targetView.busyNote}: the machine may be the limit`)
  return said.length > 0 ? said.join('; ') : `measured ${view.value}; the evidence records nothing finer`
}

function conditions(results: RunResults): ConditionView[] {
  // The engine's own checks; a file written before they were saved gets them from the same engine function.
  const {decision} = results
  const rules = decision.rules ?? ruleChecks(results.targets, results.consensus, decision.minConsensus)
  return rules.map((check) => ({
    decided: check.rule === decision.rule,
    detail: clip(check.detail, TEXT_MAX),
    holds: check.holds,
    mark: check.holds ? '✓' : '✗',
    rule: check.rule,
    text: check.condition,
  }))
}

/** The gate file's risk for the target (the team's judgement), then the risks its results show. */
function risksOf(target: RecordedTarget, view: TargetView, results: RunResults): RiskView[] {
  const base = {icon: view.icon, label: view.title, status: target.status}
  const totalWeight = results.targets.reduce((sum, t) => sum + t.weight, 0)
  const impact = target.required
    ? 'required: the gate cannot PROCEED unless it PASSes'
    : `weight ${view.weight} of ${formatValue(totalWeight, 'count')} in the consensus`
  const computed = {...base, impact, mitigation: nextStep(target, view), source: 'computed'}
  const rows: RiskView[] = []
  const told = view.narrative?.risk
  if (told) {
    const owner = view.narrative?.owner
    rows.push({
      ...base,
      ...told,
      risk: `missing it (now ${target.status}, ${view.word})`,
      source: owner ? `gate file, owner ${owner}` : 'gate file',
    })
  }
  const weighs = (q: number) =>
    `its quality ${q.toFixed(2)} weighs it at most ${(0.5 + q / 2).toFixed(3)} in the consensus`
  const evidence = target.evidence
  const missing = target.p === null ? NONE : `1 − P = ${threeDecimals(1 - target.p)}`
  if (target.status === 'NO_DATA') {
    const effect = target.required
      ? 'a required target without data blocks the gate (rule 1)'
      : 'it counts as confidence 0 in the consensus'
    rows.push({
      ...computed,
      impact: effect,
      likelihood: 'unknown: nothing was measured',
      risk: `no data: ${view.reason ?? 'no reason recorded'}`,
    })
  } else if (evidence?.kind === 'claim') {
    rows.push({
      ...computed,
      impact: `${impact}; a claim is never PASS or FAIL, and ${weighs(evidence.quality)}`,
      likelihood: 'unknown until measured',
      risk: `claim only: a stated number from ${view.evidence?.source}`,
    })
  } else if (evidence?.kind === 'artifact') {
    rows.push({
      ...computed,
      impact: `${impact}; ${weighs(evidence.quality)}`,
      likelihood: missing,
      risk: `artifact only: read from ${view.evidence?.source}, not measured in this run`,
    })
  } else if (target.status === 'INCONCLUSIVE') {
    const worst = view.worst
    rows.push({
      ...computed,
      likelihood: missing,
      risk: worst
        ? `thin evidence: ${worst.expression} has P = ${worst.p} (n = ${worst.n}), ` +
          `95% interval ${worst.interval} vs ${worst.threshold}`
        : 'thin evidence: no expectation decided it',
    })
  }
  if (view.busyNote)
    rows.push({
      ...computed,
      likelihood: 'unknown: one run cannot show how much the machine moved its timings',
      mitigation: 'measure it again on a quiet machine',
      risk: view.busyNote,
    })
  return rows
}

/** The outcome in a sentence of advice, the rules that led to it, and what would change it. */
function recommendationView(
  results: RunResults,
  steps: readonly NextStep[],
  titleOf: (id: string) => string,
): ReportView['recommendation'] {
  const {decision} = results
  const rules = decision.rules ?? ruleChecks(results.targets, results.consensus, decision.minConsensus)
  const names = (ids: readonly string[]) => ids.map(titleOf).join(', ')
  const reasoning = rules
    .filter((check) => check.rule <= decision.rule)
    .map(
      (check) => `Rule ${check.rule} ${check.holds ? 'holds' : 'does not hold'}: ${check.condition}; ${check.detail}.`,
    )
  if (decision.deciding.length > 0) reasoning.push(`Deciding targets: ${names(decision.deciding)}.`)
  if (decision.improvements.length > 0)
    reasoning.push(`Targets that are not required and do not PASS: ${names(decision.improvements)}.`)
  return {
    change: changeText(results, steps, titleOf),
    reasoning: reasoning.map((line) => clip(line, TEXT_MAX * 4)),
    text: RECOMMENDATION[decision.outcome],
  }
}

/** Which single next step would change the decision, else whether all of them together would. */
function changeText(results: RunResults, steps: readonly NextStep[], titleOf: (id: string) => string): string {
  const {decision, settings} = results
  const consensus = (x: number) => score(x, decision.minConsensus)
  if (decision.outcome === 'PROCEED') {
    const required = results.targets.filter((t) => t.required).map((t) => titleOf(t.id))
    const which = required.length > 0 ? `a required target (${required.join(', ')}) that stops passing, or ` : ''
    return clip(
      `${which}a consensus under ${consensus(decision.minConsensus)} would stop it from proceeding`,
      TEXT_MAX * 4,
    )
  }
  const changing = steps.filter((step) => step.outcomeAfter !== decision.outcome)
  if (changing.length > 0) {
    const each = changing.map(
      (step) =>
        `${titleOf(step.target)} PASSing would make it ${step.outcomeAfter} ` +
        `(consensus ${consensus(step.consensusAfter)})`,
    )
    return clip(each.join('; '), TEXT_MAX * 4)
  }
  const all = outcomeIfAllSettled(results.targets, steps, settings)
  return all.outcome === decision.outcome
    ? `no target PASSing would change it: it stays ${decision.outcome}`
    : `no single target changes it; all ${steps.length} next steps together would make it ${all.outcome} ` +
        `(consensus ${consensus(all.consensus)})`
}

/** A next step in words: what to do for each expectation, and what the engine says it would add. */
function nextStepView(step: NextStep, index: number, results: RunResults, view: TargetView): NextStepView {
  const target = results.targets[view.number - 1]!
  return {
    // A target with no evidence at all lacks it for one reason: said once, not per expectation.
    actions: clip(
      target.evidence === null && step.actions.every((action) => action.kind === 'collect')
        ? `get data: ${view.reason ?? 'no reason recorded'}`
        : step.actions.map((action) => actionText(action, target, view)).join('; '),
      TEXT_MAX * 2,
    ),
    changesDecision: step.outcomeAfter !== results.decision.outcome,
    consensusAfter: score(step.consensusAfter, results.decision.minConsensus),
    gain: `+${step.gain.toFixed(3)}`,
    icon: view.icon,
    label: view.title,
    outcomeAfter: step.outcomeAfter,
    rank: index + 1,
    status: view.status,
  }
}

function actionText(action: StepAction, target: RecordedTarget, view: TargetView): string {
  const e = view.expectations[action.expectation]!
  switch (action.kind) {
    case 'measure-more':
      return action.samples === null
        ? `settle ${e.expression}: ${e.more ?? `measure more samples of ${e.metric}`}`
        : `measure about ${formatValue(action.samples, 'count')} more samples of ${e.metric}`
    case 'improve':
      return `bring ${e.subject} from ${e.value} to ${e.threshold}`
    case 'measure-live':
      return `measure ${e.metric} live instead of the claim`
    case 'collect':
      return `get data for ${e.expression}: ${e.reason ?? view.reason ?? target.reason ?? 'no reason recorded'}`
  }
}

/** What to measure before the next gate, from what is weak about this target's evidence. */
function nextStep(target: TargetVerdict, view: TargetView): string {
  const metrics = [...new Set(target.expectations.map((e) => clip(e.metric, LABEL_MAX)))].join(', ')
  if (target.status === 'NO_DATA') return `fix the cause and re-run the ${view.validator} validator for ${metrics}`
  if (target.evidence?.kind === 'claim') return `measure ${metrics} live with a validator instead of the claim`
  if (target.evidence?.kind === 'artifact')
    return `measure ${metrics} live in the gate, or check that the artifact comes from this commit`
  const worst = view.worst
  if (target.status === 'FAIL')
    return worst ? `bring ${worst.expression} back to ${worst.threshold} (now ${worst.value})` : `fix ${metrics}`
  if (worst?.more) return worst.more
  return worst
    ? `collect more than n = ${worst.n} samples of ${worst.metric} or reduce its variance`
    : `measure ${metrics}`
}

function breakdown(
  verdicts: readonly TargetVerdict[],
  views: readonly TargetView[],
  consensus: number,
): ReportView['breakdown'] {
  const totalWeight = verdicts.reduce((sum, t) => sum + t.weight, 0)
  const contributions = verdicts.map((t) => (totalWeight > 0 ? (t.weight * t.confidence) / totalWeight : 0))
  return {
    consensus: threeDecimals(consensus),
    rows: verdicts.map((t, i) => ({
      confidence: views[i]!.confidence,
      contribution: threeDecimals(contributions[i]!),
      label: views[i]!.title,
      p: views[i]!.p,
      quality: t.evidence ? t.evidence.quality.toFixed(2) : NONE,
      weight: views[i]!.weight,
    })),
    sum: threeDecimals(contributions.reduce((sum, c) => sum + c, 0)),
    totalWeight: formatValue(totalWeight, 'count'),
  }
}

const METHOD_TEXT: Readonly<Record<PMethod, (r: RunResults) => string>> = {
  'order-statistic': (r) =>
    `quantiles (pN, median): k of n observations lie on the holding side; P is the exact binomial probability that ` +
    `more than the quantile's share of the population lies there (every observation of an HDR histogram when one ` +
    `was kept), so at most ${shareText(1 - r.settings.confidence)} of runs PASS or FAIL a quantile that sits on ` +
    `its ` +
    `threshold, at any n; the 95% interval is the order-statistic interval`,
  'bootstrap-t': (r) =>
    `mean, sum and stddev: bootstrap-t, B = ${formatValue(r.settings.resamples, 'count')} studentized resamples ` +
    `with seed ${r.settings.seed} (taken as normal from 5,000 samples); below n = 28 + 25·g² (g the upper 95% ` +
    `bound ` +
    `of the skewness, of the squared deviations for stddev) no method bounds it, P stays 0.5 and the report says ` +
    `how many are needed`,
  beta: () =>
    'counts of a proportion: P is the exact binomial probability that the rate is on the holding side of the ' +
    'threshold; the 95% interval is the Wilson score interval',
  bootstrap: (r) =>
    `== and != on samples: resampled with replacement B = ${formatValue(r.settings.resamples, 'count')} times with ` +
    `seed ${r.settings.seed}; P = share of resamples in which the expectation holds`,
  observed: () => 'min and max: what this run observed, P = 1 if it holds, else 0; not a claim about other runs',
  exact: () => 'one value with no spread (a claim, a scalar artifact, a count): P = 1 if it holds, else 0',
}

function shareText(x: number): string {
  return `${Number((x * 100).toFixed(4))}%`
}

function methodology(results: RunResults): ReportView['methodology'] {
  const all = results.targets.flatMap((t) => t.expectations)
  const confidence = results.settings.confidence
  return {
    boundRule:
      `the one-sided bound is the statistic's bound at the gate's confidence level (${confidence}) on the ` +
      `threshold's side`,
    confidenceRule:
      "c = 0.5 + q · (P_target − 0.5), where P_target is the smallest P of the target's expectations and q the " +
      'evidence quality (measured 1.0, artifact 0.9, claim 0.3); c weighs the consensus only, never the status',
    consensusRule: 'consensus = Σ weight · c / Σ weight over all targets, warn-level ones included',
    methods: (Object.keys(METHOD_TEXT) as PMethod[])
      .map((name) => ({count: all.filter((e) => e.method === name).length, name}))
      .filter((m) => m.count > 0)
      .map(({count, name}) => ({name, text: METHOD_TEXT[name](results), uses: plural(count, 'expectation')})),
    settings:
      `confidence ${confidence}, min_consensus ${results.settings.minConsensus}, seed ` +
      `${results.settings.seed}, B = ${formatValue(results.settings.resamples, 'count')} resamples`,
    statusRule:
      `measured and artifact evidence PASS when P ≥ ${confidence} and FAIL when P ≤ ` +
      `${Number((1 - confidence).toFixed(6))}, INCONCLUSIVE in between; a claim is always INCONCLUSIVE (it needs ` +
      `measuring); a validator that throws, times out or returns nothing is NO_DATA with c = 0`,
  }
}

function environmentView(env: RunResults['environment']): ReportView['environment'] {
  return {
    ci: env.ci ? 'yes' : 'no',
    cpu: clip(`${env.cpu.model} × ${env.cpu.count}`, TEXT_MAX),
    git: commitText(env.git),
    memory: formatValue(env.memoryBytes, 'size'),
    node: clip(env.node, LABEL_MAX),
    os: clip(`${env.platform} ${env.arch}`, LABEL_MAX),
  }
}

function commitText(git: RunResults['environment']['git']): string {
  if (!git) return 'not a git checkout'
  const branch = git.branch ? ` on ${clip(git.branch, LABEL_MAX)}` : ''
  return `${git.commit.slice(0, 12)}${branch}${git.dirty ? ' (with uncommitted changes)' : ''}`
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/** Which baseline a side-by-side run measured, and how, in one sentence. */
function againstText(against: NonNullable<RunResults['against']>): string {
  const where = against.checkout === 'worktree' ? 'a temporary worktree' : 'its directory'
  const services = against.services === 'ref' ? `${against.ref}'s gate file` : "this tree's gate file (REF has none)"
  return clip(
    `Baseline ${against.ref}@${against.commit.slice(0, 7)}, built in ${where} and measured side by side in ` +
      `${against.rounds} alternating rounds (${against.order}); its services as ${services} says; relative ` +
      `expectations compare the paired rounds.`,
    TEXT_MAX,
  )
}
