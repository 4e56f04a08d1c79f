import type {Config} from '@oclif/core'

import type {Dimension, EvidenceKind, MetricEvidence} from '../engine/types.js'
import {DIMENSIONS, EVIDENCE_KINDS, METRIC_TYPES} from './evidence.js'
import type {PhasegateApi} from './hook.js'
import {checkOptionsSchema} from './options.js'
import type {Validator} from './types.js'

/** A plugin's hook that has not answered by then is reported and skipped, so the CLI never hangs on one. */
const HOOK_TIMEOUT_MS = 10_000

export interface RegisteredValidator {
  validator: Validator
  /** Name of the plugin whose hook returned it. */
  plugin: string
}

export interface LoadedValidators {
  validators: Map<string, RegisteredValidator>
  warnings: string[]
  /**
   * Plugins whose hook failed, each "plugin P could not provide validators: why": any unknown validator may be theirs.
   */
  unavailable: string[]
}

/** What one plugin's hook returned. */
export interface HookContribution {
  plugin: string
  result: unknown
}

/**
 * Asks every installed plugin for its validators through the `gate:validators` hook, handing each the
 * host's runtime API. A plugin whose hook throws, times out or returns something malformed is a
 * warning naming the plugin, never a crash. With `needed`, plugins may answer for those alone: the bundled ones do, in
 * full when a name is none of theirs nor a built-in validator's, so a mistyped name's message lists every validator.
 */
export async function loadValidators(config: Config, needed?: readonly string[]): Promise<LoadedValidators> {
  // Loaded only when validators are needed, so `gate --help` does not pay for the load engine.
  const api: PhasegateApi = await import('../index.js')
  const options = needed ? {api, needed: [...new Set(needed)]} : {api}
  const {failures, successes} = await config.runHook('gate:validators', options, HOOK_TIMEOUT_MS, true)
  const loaded = registerValidators(successes.map(({plugin, result}) => ({plugin: plugin.name, result})))
  const failed = failures.map(
    ({error, plugin}) => `plugin ${plugin.name} could not provide validators: ${error.message}`,
  )
  return {unavailable: failed, validators: loaded.validators, warnings: [...failed, ...loaded.warnings]}
}

/** Checks what the hooks returned and indexes it by validator name; the first of two with one name wins. */
export function registerValidators(contributions: HookContribution[]): Omit<LoadedValidators, 'unavailable'> {
  const validators = new Map<string, RegisteredValidator>()
  const warnings: string[] = []
  for (const {plugin, result} of contributions) {
    if (!Array.isArray(result)) {
      warnings.push(
        `plugin ${plugin}: the gate:validators hook must return an array of validators, got ${typeName(result)}`,
      )
      continue
    }

    for (const [index, candidate] of result.entries()) {
      const problem = shapeProblem(candidate)
      const label = `plugin ${plugin}: validator ${nameOf(candidate) ?? `#${index + 1}`}`
      if (problem) {
        warnings.push(`${label} is skipped: ${problem}`)
        continue
      }

      const validator = candidate as Validator
      const first = validators.get(validator.name)
      if (first) {
        warnings.push(`${label} is skipped: plugin ${first.plugin} already provides a validator with that name`)
        continue
      }

      validators.set(validator.name, {plugin, validator})
    }
  }

  return {validators, warnings}
}

/** Why `candidate` is not a usable Validator, or undefined when it is one. */
function shapeProblem(candidate: unknown): string | undefined {
  if (candidate === null || typeof candidate !== 'object') return `expected an object, got ${typeName(candidate)}`
  const v = candidate as Record<string, unknown>
  if (typeof v.name !== 'string' || !/^[a-z][\w-]*$/i.test(v.name))
    return '`name` must be a word such as "http" or "fleet"'
  if (typeof v.description !== 'string') return '`description` must be a string'
  if (v.options === null || typeof v.options !== 'object' || Array.isArray(v.options))
    return '`options` must be a JSON Schema object'
  if (!Array.isArray(v.metrics) && typeof v.metrics !== 'function')
    return '`metrics` must be an array of metric specs or a function of the options'
  const badSpec = Array.isArray(v.metrics) ? v.metrics.map((spec) => metricSpecProblem(spec)).find(Boolean) : undefined
  if (badSpec) return badSpec
  if (typeof v.collect !== 'function') return '`collect` must be a function'
  if (v.kind !== undefined && !EVIDENCE_KINDS.includes(v.kind as EvidenceKind))
    return '`kind` must be measured, artifact or claim'
  try {
    checkOptionsSchema(candidate as Validator)
  } catch (error) {
    return `its options schema is not valid: ${(error as Error).message}`
  }

  return undefined
}

/** Why a metric spec is unusable for checking expectations, or undefined. */
export function metricSpecProblem(spec: unknown): string | undefined {
  const s = (spec ?? {}) as Record<string, unknown>
  const label = typeof s.name === 'string' ? `metric "${s.name}"` : 'a metric'
  if (typeof s.name !== 'string' || s.name === '') return 'a metric spec has no `name`'
  if (!DIMENSIONS.includes(s.dimension as Dimension))
    return `${label} has dimension ${JSON.stringify(s.dimension)}; use one of ${DIMENSIONS.join(', ')}`
  if (!METRIC_TYPES.includes(s.type as MetricEvidence['type']))
    return `${label} has type ${JSON.stringify(s.type)}; use one of ${METRIC_TYPES.join(', ')}`
  return undefined
}

function nameOf(candidate: unknown): string | undefined {
  const name = (candidate as {name?: unknown} | null)?.name
  return typeof name === 'string' ? `"${name}"` : undefined
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  return Array.isArray(value) ? 'an array' : typeof value
}
