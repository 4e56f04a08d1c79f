import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand} from '../base-command.js'
import {formatTrend, readTrend, type Trend} from '../history/index.js'

export default class History extends GateCommand {
  static override summary = "Show the trend of a gate's recorded runs, with sparklines."
  static override description =
    `Every \`gate check\` and \`gate merge\` is recorded in .gate/history.db. One row ` +
    `per run, oldest first (the sparklines in the last row read left to right as the rows read down): commit, ` +
    `branch, outcome, consensus, and per target its status and confidence — or, with --target or --metric, per ` +
    `metric its p95 (samples), value, or rate (proportions).\n\n` +
    'With no recorded run the command says so and exits 0 (an empty history is the normal state of a fresh ' +
    'checkout or CI cache); a damaged history.db exits 2.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> phase-2',
    '<%= config.bin %> <%= command.id %> phase-2 --target api-latency --limit 50',
    '<%= config.bin %> <%= command.id %> phase-2 --metric latency --branch main --json',
  ]
  static override enableJsonFlag = true
  static override args = {
    gate: Args.string({description: 'Gate name (as in gates/NAME.yaml).', required: true}),
  }
  static override flags = {
    branch: Flags.string({description: 'Only runs on this git branch.'}),
    limit: Flags.integer({description: 'How many of the latest runs to show.', default: 20, min: 1}),
    metric: Flags.string({description: 'Show this metric (of --target, or of every target that has it).'}),
    target: Flags.string({description: "Show this target's metrics instead of every target's status."}),
  }

  async run(): Promise<Trend> {
    const {args, flags} = await this.parse(History)
    const {empty, trend} = readTrend(path.resolve(flags.cwd), args.gate, flags)
    if (empty) process.stderr.write(`${empty}\n`)
    else if (!this.jsonEnabled()) this.log(formatTrend(trend))
    return trend
  }
}
