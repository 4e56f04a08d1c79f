import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand} from '../../base-command.js'
import {UserError} from '../../errors.js'
import {baselineJson, DEFAULT_BASELINE, formatBaseline, formatBaselineList, withHistory} from '../../history/index.js'

export default class BaselineShow extends GateCommand {
  static override summary = 'List the saved baselines, or show what one pinned.'
  static override description =
    'Without GATE: every saved baseline. With GATE: the baseline --name (main by default), per target and metric ' +
    'the values relative expectations compare with, and whether its samples were kept.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> phase-2',
    '<%= config.bin %> <%= command.id %> phase-2 --name release-1.4 --json',
  ]
  static override enableJsonFlag = true
  static override args = {
    gate: Args.string({description: 'Gate name; without it, every saved baseline is listed.'}),
  }
  static override flags = {
    name: Flags.string({description: "Which of the gate's baselines to show.", default: DEFAULT_BASELINE}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(BaselineShow)
    const json = this.jsonEnabled()
    return withHistory(path.resolve(flags.cwd), {create: false}, (history) => {
      if (args.gate === undefined) {
        const records = history.baselines()
        if (records.length === 0)
          process.stderr.write(`no baselines saved in ${history.file}: pin a run with \`gate baseline save GATE\`.\n`)
        else if (!json) this.log(formatBaselineList(records))
        return records
      }

      const baseline = history.baseline(args.gate, flags.name)
      if (!baseline) {
        const saved = history.baselines(args.gate).map((record) => record.name)
        const names = saved.length > 0 ? ` (saved: ${saved.join(', ')})` : ''
        throw new UserError(
          `no baseline "${flags.name}" saved for gate ${args.gate} in ${history.file}${names}: ` +
            `pin a run with \`gate baseline save ${args.gate}\`.`,
        )
      }

      if (!json) this.log(formatBaseline(baseline))
      return baselineJson(baseline)
    })
  }
}
