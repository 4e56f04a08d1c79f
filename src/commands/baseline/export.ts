import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand} from '../../base-command.js'
import {type BaselineFile, DEFAULT_BASELINE, exportBaseline, withHistory} from '../../history/index.js'

export default class BaselineExport extends GateCommand {
  static override summary = 'Write a saved baseline, with every run it pins, as one JSON file (on stdout).'
  static override description =
    "The file holds each pinned run's metric summaries, kept samples and histograms: `gate baseline import FILE` " +
    'pins it in another history, and `gate check GATE --baseline-file FILE` compares with it directly. In CI, ' +
    'save it on pushes to the default branch (a cache or an artifact) and restore it on pull requests.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> phase-2 > phase-2.baseline.json',
    '<%= config.bin %> <%= command.id %> phase-2 --name release-1.4 > release-1.4.json',
  ]
  static override args = {
    gate: Args.string({description: 'Gate name (as in gates/NAME.yaml).', required: true}),
  }
  static override flags = {
    name: Flags.string({description: "Which of the gate's baselines to export.", default: DEFAULT_BASELINE}),
  }

  async run(): Promise<BaselineFile> {
    const {args, flags} = await this.parse(BaselineExport)
    const file = withHistory(path.resolve(flags.cwd), {create: false}, (history) =>
      exportBaseline(history, args.gate, flags.name),
    )
    // One line of JSON: the file is for machines, and a pipe gets all of it or, on an error above, nothing.
    process.stdout.write(`${JSON.stringify(file)}\n`)
    return file
  }
}
