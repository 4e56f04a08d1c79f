import {Command, Flags} from '@oclif/core'

import {UserError} from './errors.js'
import {EXIT} from './exit-codes.js'

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

  /** User mistakes print a clear message without a stack trace and exit 2; anything else is a bug and keeps its stack. */
  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof UserError) {
      process.exitCode = EXIT.CONFIG_ERROR
      if (this.jsonEnabled()) this.logJson({error: {name: err.name, message: err.message, issues: err.issues}})
      else process.stderr.write(`${err.describe()}\n`)
      return
    }
    return super.catch(err)
  }
}
