import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand} from '../../base-command.js'
import {
  formatSaved,
  readBaselineFile,
  recordBaselineRuns,
  saveBaseline,
  type SavedBaseline,
  withHistory,
} from '../../history/index.js'

export default class BaselineImport extends GateCommand {
  static override summary = 'Pin a baseline exported with `gate baseline export`, runs and samples included.'
  static override description =
    "Records the file's runs in .gate/history.db (those it lacks) and pins them under the file's baseline name, " +
    'or --name. Relative expectations then compare with them as with runs measured here.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> phase-2.baseline.json',
    '<%= config.bin %> <%= command.id %> artifacts/main.json --name main',
  ]
  static override enableJsonFlag = true
  static override args = {
    file: Args.string({description: 'A baseline file written by `gate baseline export`.', required: true}),
  }
  static override flags = {
    name: Flags.string({description: "Pin under this name instead of the file's."}),
  }

  async run(): Promise<SavedBaseline> {
    const {args, flags} = await this.parse(BaselineImport)
    const cwd = path.resolve(flags.cwd)
    const file = readBaselineFile(args.file, cwd)
    const saved = withHistory(cwd, {create: true}, (history) =>
      saveBaseline(history, cwd, file.gate, {
        from: recordBaselineRuns(history, file),
        name: flags.name ?? file.name,
        set: file.set,
      }),
    )
    for (const warning of saved.warnings) process.stderr.write(`warning: ${warning}\n`)
    if (!this.jsonEnabled()) this.log(formatSaved(saved))
    return saved
  }
}
