import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand} from '../base-command.js'
import {exitCodeForRun} from '../exit-codes.js'
import {FORMAT_NAMES, emitResults, wantsColor} from '../run/output.js'
import {loadResults} from '../results/store.js'
import type {RunResults} from '../results/types.js'

export default class Report extends GateCommand {
  static override summary = 'Re-render a saved run without measuring anything.'
  static override description =
    'RUN is a run id from .gate/runs/, a path to a results file, or "latest" (the default). The exit code is the ' +
    "run's own decision, so a pipeline can gate on a saved run."
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> phase-2-20261123T174132Z --format md > report.md',
    '<%= config.bin %> <%= command.id %> .gate/latest.json --out report --format md,junit,json',
  ]
  static override enableJsonFlag = true
  static override args = {
    run: Args.string({description: 'Run id, results file, or "latest".', default: 'latest'}),
  }
  static override flags = {
    format: Flags.string({
      char: 'f',
      description: 'Report formats: with --out, each is written; without, the first is printed.',
      multiple: true,
      delimiter: ',',
      options: FORMAT_NAMES,
    }),
    out: Flags.string({char: 'o', description: 'Directory to write the reports into.'}),
  }

  async run(): Promise<RunResults> {
    const {args, flags} = await this.parse(Report)
    const cwd = path.resolve(flags.cwd)
    const {results} = loadResults(args.run, cwd)
    const output = {
      color: wantsColor(process.env),
      formats: (flags.format ?? []) as never,
      json: this.jsonEnabled(),
      out: flags.out,
    }
    const unsaved = emitResults(results, output, cwd)
    process.exitCode = exitCodeForRun(results, unsaved.length === 0)
    return results
  }
}
