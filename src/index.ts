// What validator plugin authors import from 'phasegate'.
export type {Dimension, Evidence, EvidenceKind, MetricEvidence} from './engine/types.js'
export {DEFAULT_QUALITY} from './engine/types.js'
export {formatValue, parseDuration, parseQuantity} from './engine/units.js'
export type {
  CollectContext,
  MetricSpec,
  ProgressUpdate,
  ServiceInfo,
  Shard,
  Validator,
  ValidatorHookResult,
} from './validators/types.js'
export {defineValidator, shareOf} from './validators/types.js'
export {durationOption, readDuration} from './validators/schema.js'
// Statistics plugins summarise with, so notes agree with the engine's type-7 quantiles.
export {quantileSorted} from 'simple-statistics'
// Seeded randomness and JSON paths, so plugins draw reproducible streams and read documents the way gate files name
// places.
export {hashSeed, Random} from './engine/random.js'
export {formatPath, parsePath, valueAt} from './json-path.js'
// Protocols as data: request templates, JSON paths and a JSON client shared by the validators that talk to a system's
// API.
export {
  checkRequest,
  describeReply,
  fillRequest,
  fillText,
  idOf,
  JsonClient,
  JsonPath,
  mergeProtocol,
  numberOf,
  pathSchema,
  preview,
  requestSchema,
  statusesSchema,
  succeeded,
} from './protocol.js'
export type {FilledRequest, JsonReply, Placeholders, RequestTemplate} from './protocol.js'
export type {RecordedTarget, RunResults} from './results/types.js'
export type {MachineNoise} from './results/noise.js'
export type {PhasegateApi, ValidatorsHook, ValidatorsHookOptions} from './validators/hook.js'
// The load engine, for validators that generate HTTP load (fleet, dashboard, …).
export * from './load/index.js'
// Redis clients that fail fast, shared by the plugins that speak to Redis (cache, dashboard).
export {closeRedis, connectRedis, redisAddress, redisClient} from './redis.js'
// Prometheus's HTTP query API, for validators that read live telemetry.
export {describeSeries, PrometheusError, queryPrometheus, queryPrometheusRange} from './telemetry/prometheus.js'
export type {
  PromInstantOptions,
  PromQueryOptions,
  PromRangeOptions,
  PromSample,
  PromSeries,
} from './telemetry/prometheus.js'
