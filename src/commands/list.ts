import path from 'node:path'

import {GateCommand} from '../base-command.js'
import {listGates} from '../config/list.js'

export default class List extends GateCommand {
  static override summary = 'List the gates in gates/.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override enableJsonFlag = true

  async run(): Promise<ReturnType<typeof listGates>> {
    const {flags} = await this.parse(List)
    const gates = listGates(path.resolve(flags.cwd))
    if (gates.length === 0)
      this.log('No gates in gates/. Write gates/NAME.yaml (see `gate schema`) and run `gate check NAME`.')
    const width = Math.max(4, ...gates.map((g) => g.name.length))
    for (const gate of gates) {
      const detail = gate.error
        ? `✗ ${gate.error}`
        : `${gate.title} (${gate.targets} target${gate.targets === 1 ? '' : 's'})`
      this.log(`${gate.name.padEnd(width)}  ${detail}`)
    }
    return gates
  }
}
