import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand} from '../../base-command.js'
import {DEFAULT_BASELINE, formatSaved, saveBaseline, type SavedBaseline, withHistory} from '../../history/index.js'

export default class BaselineSave extends GateCommand {
  static override summary =
    'Pin a run, or a set of runs, as the baseline that relative expectations (`<= baseline * 1.10`) compare with.'
  static override description = [
    '--from is "latest" (the gate\'s newest recorded run, the default), a run id from `gate history`, or a results',
    "file (e.g. the main branch's CI artifact); repeat it to pin several. --runs N pins the gate's last N complete",
    'runs (of --branch when given): with 3 or more, relative expectations are judged against how much those runs',
    "differ from one another, not against one run's samples, so an unchanged system on a busy machine is not",
    'flagged. A results file the history lacks is imported with its summaries only, so relative checks on its',
    'sample metrics use summary values only. Saving under a name that exists replaces what it pinned. An',
    'interrupted run or a single shard cannot be pinned: they measured only part of the gate.',
  ].join(' ')
  static override examples = [
    '<%= config.bin %> <%= command.id %> phase-2',
    '<%= config.bin %> <%= command.id %> phase-2 --from phase-2-20261123T174132Z --name release-1.4',
    {
      description: 'Pin the last 5 runs of branch main: relative checks are judged against their spread',
      command: '<%= config.bin %> <%= command.id %> phase-2 --runs 5 --branch main',
    },
    {
      description: "Pin the main branch's run, downloaded from CI",
      command: '<%= config.bin %> <%= command.id %> phase-2 --from artifacts/phase-2.json',
    },
  ]
  static override enableJsonFlag = true
  static override args = {
    gate: Args.string({description: 'Gate name (as in gates/NAME.yaml).', required: true}),
  }
  static override flags = {
    branch: Flags.string({description: 'With --runs: only runs recorded on this git branch.', dependsOn: ['runs']}),
    from: Flags.string({
      description: 'Run to pin: "latest", a recorded run id, or a results file; repeat it to pin several.',
      multiple: true,
      exclusive: ['runs'],
    }),
    runs: Flags.integer({
      description: "Pin the gate's last N complete runs (3 or more give a spread over runs).",
      min: 1,
    }),
    name: Flags.string({
      description: 'Baseline name (`gate check --baseline NAME` compares with it).',
      default: DEFAULT_BASELINE,
    }),
  }

  async run(): Promise<SavedBaseline> {
    const {args, flags} = await this.parse(BaselineSave)
    const cwd = path.resolve(flags.cwd)
    // Only an import may start a history; pinning "latest" or a run id reads one that exists.
    const imports = (flags.from ?? []).some((from) => from !== 'latest')
    const saved = withHistory(cwd, {create: imports}, (history) => saveBaseline(history, cwd, args.gate, flags))
    if (!this.jsonEnabled()) this.log(formatSaved(saved))
    for (const warning of saved.warnings) process.stderr.write(`warning: ${warning}\n`)
    return saved
  }
}
