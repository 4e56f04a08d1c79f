import {GateCommand} from '../base-command.js'
import {metricSpecs, resolveOptions} from '../validators/options.js'
import {loadValidators} from '../validators/registry.js'
import type {Validator} from '../validators/types.js'

interface ValidatorRow {
  name: string
  plugin: string
  kind: string
  description: string
  metrics: Array<{name: string; dimension: string; type: string; description: string}> | 'depends on options'
  options: string[]
}

export default class Validators extends GateCommand {
  static override summary = 'List the installed validators: name, plugin, metrics and options.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override enableJsonFlag = true

  async run(): Promise<ValidatorRow[]> {
    await this.parse(Validators)
    const {validators, warnings} = await loadValidators(this.config)
    for (const warning of warnings) this.warn(warning)
    const rows: ValidatorRow[] = [...validators.values()].map(({plugin, validator}) => ({
      name: validator.name,
      plugin,
      kind: validator.kind ?? 'measured',
      description: validator.description,
      metrics: listedMetrics(validator),
      options: Object.keys((validator.options.properties ?? {}) as Record<string, unknown>),
    }))
    for (const row of rows) {
      this.log(`${row.name}  (${row.plugin}, evidence: ${row.kind})\n  ${row.description}`)
      const metrics =
        typeof row.metrics === 'string'
          ? row.metrics
          : row.metrics.map((m) => `${m.name} (${m.dimension}, ${m.type})`).join(', ')
      this.log(`  metrics: ${metrics}`)
      this.log(`  options: ${row.options.join(', ') || '—'}\n`)
    }
    return rows
  }
}

/**
 * The metrics with default options; those that depend on options (http stages, artifact paths) are in the description.
 */
function listedMetrics(validator: Validator): ValidatorRow['metrics'] {
  try {
    // Required options stay missing; a validator whose metrics need them (artifact, claim) throws.
    const {options} = resolveOptions(validator, {})
    return metricSpecs(validator, options).map(({description, dimension, name, type}) => ({
      description,
      dimension,
      name,
      type,
    }))
  } catch {
    return 'depends on options'
  }
}
