import {Args} from '@oclif/core'
import path from 'node:path'

import {GateCommand, reportFlags} from '../base-command.js'
import {exitCodeForRun} from '../exit-codes.js'
import {mergeRuns} from '../run/merge.js'
import {recordRun, wantsColor} from '../run/output.js'
import type {RunResults} from '../results/types.js'

export default class Merge extends GateCommand {
  static override summary = 'Merge the runs of `gate check --shard i/n` from several machines into one decision.'
  static override description =
    `RUN is a run id from .gate/runs/, a results or evidence file, or "latest"; each ` +
    `names the evidence a check saved beside its results (.gate/runs/<id>.evidence.json). The runs must be shards ` +
    `of the same gate file (same sha256), each shard once; a missing shard is a warning. Per target and metric: ` +
    `samples are re-drawn uniformly from the union (latency from the merged HDR histograms), proportions' events ` +
    `and trials and counts and rates are summed, other values are kept when every shard agrees. ` +
    'The engine then decides on the union, and the merged run is saved and reported like a check.\n\n' +
    'Exit codes: 0 PROCEED, 1 BLOCK, 2 runs that cannot be merged (different gates, a shard twice), 3 ' +
    'INCONCLUSIVE, 4 decided but not saved (the merged results or a report could not be written), 130 a shard was ' +
    'interrupted.'
  static override examples = [
    {
      description: 'Merge the two shards of a CI matrix',
      command: '<%= config.bin %> <%= command.id %> phase-2-20261123T174132Z phase-2-20261123T174135Z',
    },
    {
      description: 'Merge evidence files downloaded from the matrix jobs and write reports',
      command:
        '<%= config.bin %> <%= command.id %> shard-1/*.evidence.json shard-2/*.evidence.json --out report --format ' +
        'md,junit',
    },
  ]
  static override enableJsonFlag = true
  static override strict = false
  static override args = {
    runs: Args.string({description: 'Shard runs: run ids, results or evidence files, or "latest".', required: true}),
  }
  static override flags = {
    ...reportFlags,
  }

  async run(): Promise<RunResults> {
    const {argv, flags} = await this.parse(Merge)
    const cwd = path.resolve(flags.cwd)
    const json = this.jsonEnabled()
    const {collected, results} = await mergeRuns({
      cwd,
      env: process.env,
      runs: argv as string[],
      toolVersion: this.config.version,
    })
    const recorded = recordRun(
      results,
      {color: wantsColor(process.env), formats: (flags.format ?? []) as never, json, out: flags.out},
      cwd,
      collected,
    )
    process.exitCode = exitCodeForRun(results, recorded.complete)
    // --json prints the run as saved: its id names its results file.
    return recorded.results
  }
}
