// Domain types shared by the engine, the validators, the results file and the reports.
// Internally every number is canonical: durations in milliseconds, sizes in bytes,
// proportions in 0..1, ratios and counts plain, rates per second.

import type {Expectation} from './expectation.js'

export type Dimension = 'duration' | 'size' | 'ratio' | 'proportion' | 'rate' | 'count'

export type EvidenceKind = 'measured' | 'artifact' | 'claim'

/** Default evidence quality q per kind (scoring.md §1); a gate may lower it, never raise it. */
export const DEFAULT_QUALITY: Readonly<Record<EvidenceKind, number>> = {artifact: 0.9, claim: 0.3, measured: 1}

/** One metric of a validator's evidence: many samples, one value, or counts of a proportion. */
export type MetricEvidence =
  | {buckets?: SampleBuckets; dimension: Dimension; samples: number[]; seen?: number; type: 'samples'}
  | {dimension: Dimension; type: 'value'; value: number}
  | {events: number; trials: number; type: 'proportion'}

/**
 * Every observation of a metric counted in buckets (an HDR histogram), canonical units: bucket i held counts[i]
 * observations between lower[i] and upper[i]. Quantiles are decided from these counts, n = all of them, rather than
 * from the samples, which may be a reservoir of them.
 */
export interface SampleBuckets {
  lower: number[]
  upper: number[]
  counts: number[]
}

export interface Evidence {
  kind: EvidenceKind
  /**
   * Where the numbers come from: "live: GET http://127.0.0.1:3000/x", "k6 summary ./out.json", "vendor report
   * 2025-10-09".
   */
  source: string
  metrics: Record<string, MetricEvidence>
  /** Length of the measurement window, for rate(metric). */
  durationMs?: number
  notes?: string[]
}

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!='

export type Status = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'NO_DATA'

export type Outcome = 'PROCEED' | 'BLOCK' | 'INCONCLUSIVE'

/**
 * How P(holds) was computed for an expectation (scoring.md §2): `order-statistic` counts samples against the threshold
 * (quantiles), `bootstrap-t` studentizes (mean, stddev, sum), `beta` counts events (proportions), `observed` is what
 * this run saw (min, max), `exact` a value with no spread, `bootstrap` resamples the rest (== and != on samples).
 */
export type PMethod = 'order-statistic' | 'bootstrap-t' | 'bootstrap' | 'beta' | 'observed' | 'exact'

/**
 * About how many more samples would likely decide an INCONCLUSIVE expectation if the data go on as they do,
 * and which way; or why no number would.
 */
export type MoreSamples = {samples: number; toward: 'PASS' | 'FAIL'} | {samples: null; why: string}

export interface ExpectationVerdict {
  /** The expectation as written in the gate file. */
  expression: string
  metric: string
  /** 'value' for a bare metric, otherwise min max mean median stddev count sum rate pN. */
  statistic: string
  operator: Operator
  /** Threshold in canonical units; for a relative expectation, from the baseline (null without one). */
  threshold: number | null
  dimension: Dimension
  /** Point estimate of the statistic over all samples, canonical units; null when there is no data. */
  value: number | null
  /** Distance from the threshold on the holding side, in % of |threshold|; negative = on the failing side. */
  marginPct: number | null
  /** Two-sided 95% interval of the statistic (bootstrap percentile or Wilson); null for a single value. */
  interval95: [number, number] | null
  /** One-sided bound of the statistic at the gate's confidence level, on the threshold's side. */
  bound: number | null
  n: number
  /** P(the expectation holds), 0..1; null for NO_DATA. */
  p: number | null
  method: PMethod | null
  status: Status
  /** Why the status is what it is when it is not plain (NO_DATA reasons, dimension notes). */
  reason?: string
  /** Only for INCONCLUSIVE: how many more samples would likely decide it. */
  more?: MoreSamples
  /** For a relative expectation (`<= baseline * 1.10`): the baseline it was judged against and the change. */
  baseline?: BaselineComparison
}

/** Which model turned a comparison with the baseline into P(holds). */
export type BaselineModel =
  'hodges-lehmann' | 'order-statistic' | 'bootstrap' | 'beta' | 'run-to-run' | 'run-spread' | 'paired-rounds' | 'exact'

/** The current run's statistic next to the baseline's. */
export interface BaselineComparison {
  /** Baseline name (`gate baseline save --name`) and the run it pins. */
  name: string
  run: string
  /** The statistic in the baseline run, canonical units; null when the baseline lacks the metric. */
  value: number | null
  /** Relative change of the statistic: current / baseline − 1 (0.12 = 12% higher). */
  change: number | null
  /** 95% interval of the change, on the same scale. */
  changeInterval95: [number, number] | null
  model: BaselineModel
  /** Two-sided Mann-Whitney p-value when both runs had samples: how likely a shift this large is from noise alone. */
  mannWhitneyP: number | null
  /** How many pinned runs the baseline holds, when it pins a set (`gate baseline save --runs N`). */
  runs?: number
  /** How many rounds gave the statistic on both sides, when they were measured side by side (`--against`). */
  pairs?: number
}

export interface MetricSummary {
  name: string
  dimension: Dimension
  type: MetricEvidence['type']
  n: number
  /** samples: n; proportion: trials; value: 1. `seen` counts samples before any reservoir cut. */
  seen?: number
  value?: number
  min?: number
  max?: number
  mean?: number
  stddev?: number
  p50?: number
  p90?: number
  p95?: number
  p99?: number
  events?: number
  trials?: number
  /** Samples binned for charts: counts.length bins between ascending edges (counts.length + 1), canonical units. */
  histogram?: {edges: number[]; counts: number[]}
}

export interface TargetVerdict {
  id: string
  title: string
  validator: string
  weight: number
  required: boolean
  level: 'error' | 'warn'
  evidence: null | {
    durationMs?: number
    kind: EvidenceKind
    metrics: MetricSummary[]
    notes: string[]
    quality: number
    source: string
  }
  expectations: ExpectationVerdict[]
  /** P_target = smallest P of its expectations; null for NO_DATA. */
  p: number | null
  /** c = 0.5 + q·(P_target − 0.5); 0 for NO_DATA. */
  confidence: number
  status: Status
  /** Reason for NO_DATA (validator error, timeout, missing metric). */
  reason?: string
}

export interface DecisionSettings {
  /** Weighted mean of target confidences needed to PROCEED. */
  minConsensus: number
  /** A target PASSes when its confidence reaches this. */
  confidence: number
  /** Seed of the bootstrap RNG. */
  seed: number
  /** Bootstrap resamples B. */
  resamples: number
}

export interface Decision {
  outcome: Outcome
  /** Which step of the rule decided (scoring.md §4). */
  rule: 1 | 2 | 3 | 4
  /** "decided by rule 1: required target fleet-allocation is FAIL" */
  reason: string
  consensus: number
  minConsensus: number
  /** Required targets that caused BLOCK/INCONCLUSIVE by rule 1 or 2. */
  deciding: string[]
  /** Non-required FAIL / INCONCLUSIVE / NO_DATA targets: improvements before the next gate. */
  improvements: string[]
  /**
   * Every step of the rule in order, with its numbers and whether it held: what reports display (scoring.md §4); absent
   * in files written before v2.
   */
  rules?: RuleCheck[]
}

/** One step of the decision rule as the engine checked it. */
export interface RuleCheck {
  rule: 1 | 2 | 3 | 4
  /** "No required target is FAIL or NO_DATA (else BLOCK)" */
  condition: string
  holds: boolean
  /** What was checked: "3 required targets; FAIL: none; NO_DATA: cache", "consensus 0.800 ≥ 0.800". */
  detail: string
  /** The targets that break it (rules 1 and 2). */
  targets: string[]
}

/** What the engine needs for one target: its settings and either evidence or the reason there is none. */
export interface TargetInput {
  id: string
  title: string
  validator: string
  weight: number
  required: boolean
  level: 'error' | 'warn'
  /** Optional lower evidence quality from the gate file; clamped to the kind's default. */
  quality?: number
  /** Parsed once, where the gate file is read (parseExpectation). */
  expectations: readonly Expectation[]
  collected: {evidence: Evidence} | {noData: string}
  /** What relative expectations (`<= baseline * 1.10`) compare with, or why there is nothing to compare with. */
  baseline?: BaselineInput | {missing: string}
}

/** A baseline run's record of one metric. */
export interface BaselineMetric {
  /** Samples (a recorded subset), counts or the value; null when only summary statistics were kept (a results file). */
  evidence: MetricEvidence | null
  summary: MetricSummary
}

/** The pinned run a target's relative expectations compare with (`gate baseline save`). */
export interface BaselineInput {
  name: string
  run: string
  metrics: Record<string, BaselineMetric>
  /** Summaries of each metric in earlier runs (newest first, not this run): the run-to-run spread. */
  recent?: Record<string, MetricSummary[]>
  /**
   * Every run the baseline pins when it pins a set (`gate baseline save --runs N`), newest first, `run` among them:
   * relative expectations are then judged against how much these runs differ from one another (too few: INCONCLUSIVE).
   */
  runs?: Array<{run: string; metrics: Record<string, BaselineMetric>}>
  /**
   * `gate check --against`: each round's evidence on the candidate and on the baseline, measured back to back (ABBA);
   * relative expectations are then judged on these pairs, so what drifts on the machine hits both sides alike.
   */
  rounds?: Array<{candidate: Record<string, MetricEvidence>; baseline: Record<string, MetricEvidence>}>
}

export interface GateEvaluation {
  targets: TargetVerdict[]
  consensus: number
  decision: Decision
}

/** A target's status in a phase review's words: MET or EXCEEDED (PASS), MISSED (FAIL), UNPROVEN (the rest). */
export type StatusWord = 'MET' | 'EXCEEDED' | 'MISSED' | 'UNPROVEN'

/** What would settle one expectation that does not hold yet (`expectation` is its index in the target). */
export type StepAction =
  | {kind: 'measure-more'; expectation: number; samples: number | null}
  | {kind: 'improve'; expectation: number}
  | {kind: 'measure-live'; expectation: number}
  | {kind: 'collect'; expectation: number}

/** One target's way to PASS and what it would do to the gate if it came out just PASSing. */
export interface NextStep {
  target: string
  actions: StepAction[]
  /** The target's confidence at P = the gate's confidence (measured evidence for a claim). */
  confidenceAfter: number
  consensusAfter: number
  /** consensusAfter − the consensus now. */
  gain: number
  /** The decision with this target PASSing and everything else as it is. */
  outcomeAfter: Outcome
}
