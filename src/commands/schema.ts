import {Flags} from '@oclif/core'
import {readFileSync} from 'node:fs'

import {GateCommand} from '../base-command.js'
import {gateSchema} from '../config/schema.js'

export default class Schema extends GateCommand {
  static override summary = 'Print the JSON Schema of gate files (or of results files).'
  static override description =
    'Editors use it to complete and check gate files: save it and add `# yaml-language-server: ' +
    '$schema=./gate.schema.json` at the top of a gate.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> > gate.schema.json',
    '<%= config.bin %> <%= command.id %> --results > results.schema.json',
  ]
  static override flags = {
    results: Flags.boolean({description: 'Print the schema of the results file (.gate/runs/*.json) instead.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Schema)
    const schema = flags.results
      ? JSON.parse(readFileSync(new URL('../../schemas/results-v1.schema.json', import.meta.url), 'utf8'))
      : gateSchema
    this.log(JSON.stringify(schema, null, 2))
  }
}
