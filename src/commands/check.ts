import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand, gateArgFlag, gateArgs, reportFlags} from '../base-command.js'
import {DEFAULT_ROUNDS, runCheckAgainst} from '../run/against.js'
import {runCheck} from '../run/check.js'
import {UserError} from '../errors.js'
import {exitCodeForRun} from '../exit-codes.js'
import {withInterrupts} from '../run/interrupt.js'
import {recordRun, wantsColor, withStdoutOnStderr} from '../run/output.js'
import {PROGRESS_CHOICES, progressMode, withProgress} from '../progress/index.js'
import type {CollectedTarget, RunResults} from '../results/types.js'
import type {Shard} from '../validators/types.js'

/** `--shard i/n`: this runner does share i of n of the load. */
const shardFlag = Flags.custom<Shard>({
  description:
    'Do share I of N of the load (I/N, e.g. 1/2): http divides its connections, rate and requests; targets that ' +
    'cannot split run whole on shard 1 only. Combine the shards with `gate merge`.',
  async parse(input) {
    const match = /^(\d+)\/(\d+)$/.exec(input.trim())
    const [index, count] = match ? [Number(match[1]), Number(match[2])] : [0, 0]
    if (index < 1 || index > count)
      throw new UserError(`--shard ${input}: expected I/N with 1 ≤ I ≤ N`, [
        {
          message: "I is this runner's shard, N the number of runners",
          hint: 'e.g. --shard 1/2 on one machine and --shard 2/2 on the other',
        },
      ])
    return {count, index}
  },
})()

export default class Check extends GateCommand {
  static override summary = "Measure a gate's targets and decide PROCEED, BLOCK or INCONCLUSIVE."
  static override description =
    `Reads gates/GATE.yaml (or a path), starts the services it names, runs each ` +
    `target's validator to collect evidence, turns every expectation into a probability that it holds, weighs the ` +
    `targets into a consensus score and applies the gate's decision rule. Every run is saved to .gate/runs/ and ` +
    `.gate/latest.json; a --shard run also saves its evidence as collected beside it ` +
    `(.gate/runs/<id>.evidence.json) for \`gate merge\`.\n\n` +
    'Exit codes: 0 PROCEED, 1 BLOCK, 2 configuration or usage error (nothing measured), 3 INCONCLUSIVE (measure ' +
    'more), 4 decided but not saved (the report is printed; the results file or a report could not be written), ' +
    '130 interrupted (partial results saved and marked).'
  static override examples = [
    {description: 'Check the shipped smoke gate on this machine', command: '<%= config.bin %> <%= command.id %> smoke'},
    {
      description: 'Write Markdown and JUnit reports for CI',
      command: '<%= config.bin %> <%= command.id %> phase-2 --out report --format md,junit',
    },
    {
      description: 'Print the Markdown report instead of the table',
      command: '<%= config.bin %> <%= command.id %> smoke --format md > report.md',
    },
    {
      description: 'Measure the storage gate on PostgreSQL instead of its default SQLite',
      command: '<%= config.bin %> <%= command.id %> storage --arg db=postgres://127.0.0.1:5432/state',
    },
    {
      description: 'In GitHub Actions: step summary, annotations and a check run',
      command: '<%= config.bin %> <%= command.id %> phase-2 --check-run',
    },
    {
      description: 'A release checklist; the exit code decides the job',
      command: '<%= config.bin %> <%= command.id %> release --format checklist',
    },
    {
      description: 'The results object as JSON, for scripts',
      command: '<%= config.bin %> <%= command.id %> gates/release.yaml --json',
    },
    {
      description: "On a pull request: compare with the main branch's baseline restored from a CI cache",
      command: '<%= config.bin %> <%= command.id %> phase-2 --baseline-file .gate/baseline/phase-2.json',
    },
    {
      description:
        "On a pull request: measure main's build beside this tree in alternating rounds, on the same machine",
      command: '<%= config.bin %> <%= command.id %> phase-2 --against origin/main',
    },
    {
      description: 'Machine 1 of 2 in a CI matrix: half the load; combine the shards with `gate merge`',
      command: '<%= config.bin %> <%= command.id %> phase-2 --shard 1/2',
    },
  ]
  static override enableJsonFlag = true
  static override args = {
    gate: Args.string({description: 'Gate name (reads gates/NAME.yaml) or path to a gate file.', required: true}),
  }
  static override flags = {
    against: Flags.string({
      description:
        'Measure a baseline side by side: REF (a git ref, checked out in a temporary worktree and built with the ' +
        "gate file's build step, or a clean directory) is started beside this tree, and targets with a relative " +
        'expectation run on both in alternating rounds (ABBA); relative expectations compare the paired rounds.',
      helpValue: 'REF',
      exclusive: ['baseline-file', 'shard'],
    }),
    arg: gateArgFlag,
    baseline: Flags.string({
      description:
        'Saved baseline that relative expectations (`<= baseline * 1.10`) compare with (see `gate baseline save`).',
      default: 'main',
    }),
    'baseline-file': Flags.file({
      description:
        'Compare relative expectations with the baseline in this file (`gate baseline export`) instead of a ' +
        'saved one; a missing file leaves them NO_DATA with the step to take.',
    }),
    'check-run': Flags.boolean({
      description: 'Also create a GitHub Check Run for the commit (needs GITHUB_TOKEN with checks: write).',
    }),
    github: Flags.boolean({
      description:
        'GitHub Actions: append the Markdown report to $GITHUB_STEP_SUMMARY and annotate the gate file for targets ' +
        'that did not pass.',
      env: 'GITHUB_ACTIONS',
      allowNo: true,
    }),
    ...reportFlags,
    progress: Flags.option({
      description:
        'Progress on stderr: auto draws a live display at a terminal and one plain line per target start and end ' +
        'elsewhere (CI=true, pipes, TERM=dumb, --json); plain always writes the lines; none only what validators log.',
      default: 'auto',
      options: PROGRESS_CHOICES,
    })(),
    rounds: Flags.integer({
      description:
        `With --against: rounds, each measuring both sides once (default ${DEFAULT_ROUNDS}); fewer than 3 leave ` +
        'relative expectations INCONCLUSIVE.',
      dependsOn: ['against'],
      min: 1,
      max: 50,
    }),
    seed: Flags.integer({description: 'Override decision.seed for the bootstrap resampling.'}),
    shard: shardFlag,
    verbose: Flags.boolean({
      description:
        "Show the services' output as it comes; without it, it goes to .gate/runs/<run>.services.log " +
        'and its last lines are shown only when a service fails.',
    }),
  }

  async run(): Promise<RunResults> {
    const {args, flags} = await this.parse(Check)
    const cwd = path.resolve(flags.cwd)
    const json = this.jsonEnabled()
    const collected: CollectedTarget[] = []
    const progress = progressMode(flags.progress, {env: process.env, json, stderr: process.stderr})
    const output = {color: wantsColor(process.env), formats: (flags.format ?? []) as never, json, out: flags.out}
    let resultsSoFar: (() => RunResults) | undefined
    const results = await withStdoutOnStderr(() =>
      withInterrupts(
        (signal) =>
          withProgress(progress, (events) =>
            (flags.against ? runCheckAgainst : runCheck)({
              against: {ref: flags.against ?? '', rounds: flags.rounds ?? DEFAULT_ROUNDS},
              args: gateArgs(flags.arg),
              baseline: flags.baseline,
              baselineFile: flags['baseline-file'],
              config: this.config,
              cwd,
              env: process.env,
              events,
              gate: args.gate,
              onCollected: (target) => collected.push(target),
              onForcedExit: (soFar) => (resultsSoFar = soFar),
              seed: flags.seed,
              shard: flags.shard,
              signal,
              toolVersion: this.config.version,
              verbose: flags.verbose,
            }),
          ),
        // A second Ctrl-C still saves and reports what was measured, marked interrupted.
        () => resultsSoFar && recordRun(resultsSoFar(), output, cwd, collected),
      ),
    )
    // Only shards are merged; a phase-2 run's evidence is ~0.75 MB, too much to keep beside every run.
    const recorded = recordRun(results, output, cwd, collected, Boolean(flags.shard))
    // The GitHub modules load only for a run that publishes there (~10 ms of every other run's start-up).
    if (flags.github || flags['check-run']) {
      const {publishRun} = await import('../github/index.js')
      await publishRun(recorded.results, {
        checkRun: flags['check-run'],
        cwd,
        env: process.env,
        github: flags.github,
        userAgent: `phasegate/${this.config.version}`,
        write: (line) => process.stderr.write(`${line}\n`),
      })
    }
    process.exitCode = exitCodeForRun(results, recorded.complete)
    // --json prints the run as saved: its id names its results file.
    return recorded.results
  }
}
