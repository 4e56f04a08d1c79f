// The load engine, for the http validator and for plugins that generate HTTP load.
export {classifyError, describeError, describeErrorCounts, emptyErrorCounts} from './errors.js'
export {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  type LatencySummary,
  mergeHistograms,
  recordLatency,
  summarizeLatency,
} from './histogram.js'
export {LOAD_DEFAULTS, LOAD_LIMITS, LoadPlanError} from './plan.js'
export {ReservoirSlots, SampleReservoir} from './reservoir.js'
export {cpuMeter, runLoad} from './run.js'
export {
  ERROR_KINDS,
  type ClientLoad,
  type ErrorCounts,
  type ErrorKind,
  type LatencySamples,
  type LoadModel,
  type LoadPlan,
  type LoadProgress,
  type LoadResult,
  type Rates,
  type RequestCounts,
  type Stage,
  type StageResult,
  type StopReason,
  type TimelinePoint,
  type UntilDecided,
} from './types.js'
export {closeGracefully} from './request.js'
