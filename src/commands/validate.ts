import {Args} from '@oclif/core'
import path from 'node:path'

import {GateCommand, gateArgFlag, gateArgs} from '../base-command.js'
import {prepareGate} from '../run/check.js'

export default class Validate extends GateCommand {
  static override summary = 'Check a gate file without running anything.'
  static override description =
    "Checks the YAML, the schema, every expectation, every `${...}` reference and each target's `with:` options " +
    'against its validator. Problems are listed with file:line:column; exit 2 when there is any.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> phase-2',
    '<%= config.bin %> <%= command.id %> gates/release.yaml --json',
  ]
  static override enableJsonFlag = true
  static override args = {
    gate: Args.string({description: 'Gate name (reads gates/NAME.yaml) or path to a gate file.', required: true}),
  }
  static override flags = {
    arg: gateArgFlag,
  }

  async run(): Promise<{file: string; services: number; targets: number; valid: true; warnings: string[]}> {
    const {args, flags} = await this.parse(Validate)
    const cwd = path.resolve(flags.cwd)
    const {gate, warnings} = await prepareGate(
      args.gate,
      {args: gateArgs(flags.arg), cwd, env: process.env},
      this.config,
    )
    const file = path.relative(cwd, gate.file)
    for (const warning of warnings) this.warn(warning)
    this.log(`✓ ${file} is valid: ${gate.targets.length} target(s), ${gate.services.length} service(s).`)
    return {file, services: gate.services.length, targets: gate.targets.length, valid: true, warnings}
  }
}
