import {Command, Flags} from '@oclif/core'

import {UserError} from './errors.js'
import {EXIT} from './exit-codes.js'
import {FORMAT_NAMES} from './run/output.js'

/** `--arg NAME=VALUE`, repeatable: values for the gate's declared `args:`. */
export const gateArgFlag = Flags.string({
  description: "Value for one of the gate's args (NAME=VALUE; repeatable), used as ${args.NAME} in the gate file.",
  multiple: true,
  async parse(input) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*=/.test(input))
      throw new UserError(`--arg ${input}: expected NAME=VALUE`, [
        {
          message: 'NAME is letters, digits, "_" and "-"; everything after the first "=" is the value',
          hint: 'e.g. --arg db=postgres://127.0.0.1:5432/state',
        },
      ])
    return input
  },
})

/** `--format` and `--out`: the reports of a decided run, for `gate check` and `gate merge` alike. */
export const reportFlags = {
  format: Flags.string({
    char: 'f',
    description: 'Report formats: with --out, each is written; without, the first is printed instead of the table.',
    multiple: true,
    delimiter: ',',
    options: FORMAT_NAMES,
  }),
  out: Flags.string({char: 'o', description: 'Directory to write the reports into (created if missing).'}),
}

/** The --arg values as a record; a name given twice keeps the last value, as shells and k6's -e do. */
export function gateArgs(values: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries(
    (values ?? []).map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  )
}

/** What every gate command shares: the project directory and one mapping from user mistakes to exit 2. */
export abstract class GateCommand extends Command {
  static override baseFlags = {
    cwd: Flags.directory({
      description: 'Project directory: holds gates/ and receives .gate/.',
      default: '.',
      exists: true,
      helpGroup: 'GLOBAL',
    }),
  }

  /**
   * User mistakes print a clear message without a stack trace and exit 2; anything else is a bug and keeps its stack.
   */
  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof UserError) {
      process.exitCode = EXIT.CONFIG_ERROR
      if (this.jsonEnabled()) this.logJson({error: {name: err.name, message: err.message, issues: err.issues}})
      else process.stderr.write(`${err.describe()}\n`)
      return
    }
    // oclif's own --json path exits 1 (BLOCK) on a usage error; its exit code (2) is on err.oclif.
    if (this.jsonEnabled()) process.exitCode ??= (err as {oclif?: {exit?: number}}).oclif?.exit
    return super.catch(err)
  }

  /** --json errors say what went wrong; oclif's default also serializes the parser's state (the whole config). */
  protected override toErrorJson(err: unknown): {error: {name: string; message: string; code?: string}} {
    if (!(err instanceof Error)) return {error: {message: String(err), name: 'Error'}}
    const {code} = err as {code?: unknown}
    return {error: {message: err.message, name: err.name, ...(typeof code === 'string' ? {code} : {})}}
  }
}
