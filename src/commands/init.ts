import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand} from '../base-command.js'
import {askAnswers, DEFAULT_READY, initGate, type InitOutcome, TEMPLATES, templateNamed} from '../init.js'

export default class Init extends GateCommand {
  static override summary = 'Write a starting gate file from flags, or from answers to a few questions.'
  static override description =
    'Writes gates/NAME.yaml with a target per thing to measure: a URL to load (http), a service that starts the ' +
    'system, a k6 summary to import (artifact) and the seed targets as templates. The file is checked as ' +
    '`gate validate` checks it before it is written, and an existing file is replaced only with --force. ' +
    'In a terminal, without flags, it asks; elsewhere the flags say everything.'

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> api --service "node server.js --port 0" --template dashboard',
    '<%= config.bin %> <%= command.id %> load --k6 out/summary.json --url http://127.0.0.1:8080/health',
    '<%= config.bin %> <%= command.id %> api --url http://127.0.0.1:8080/ --json',
  ]

  static override enableJsonFlag = true
  static override args = {
    name: Args.string({description: 'Gate name: writes gates/NAME.yaml.'}),
  }

  static override flags = {
    force: Flags.boolean({description: 'Replace gates/NAME.yaml when it exists.'}),
    k6: Flags.string({description: 'A k6 summary JSON (k6 run --summary-export) to import as evidence.'}),
    ready: Flags.string({description: `With --service: the log line that says it is ready [${DEFAULT_READY}].`}),
    service: Flags.string({description: 'A shell command that starts the system under test.'}),
    template: Flags.string({
      description: `A seed target to add (${TEMPLATES.join(', ')}); repeatable.`,
      multiple: true,
    }),
    title: Flags.string({description: 'The gate’s title.'}),
    url: Flags.string({description: 'A URL to load with the http validator.'}),
  }

  async run(): Promise<InitOutcome> {
    const {args, flags} = await this.parse(Init)
    const given = {
      ...(args.name === undefined ? {} : {name: args.name}),
      ...{k6: flags.k6, ready: flags.ready, service: flags.service, title: flags.title, url: flags.url},
      templates: (flags.template ?? []).map(templateNamed),
    }
    const content = given.k6 ?? given.service ?? given.url ?? given.templates[0]
    const interactive = content === undefined && process.stdin.isTTY && process.stderr.isTTY && !this.jsonEnabled()
    const answers = interactive ? await askOnTerminal(given) : {name: args.name ?? 'main', ...given}
    const outcome = await initGate(answers, {
      config: this.config,
      cwd: path.resolve(flags.cwd),
      dryRun: this.jsonEnabled(),
      force: flags.force,
    })
    if (outcome.written) this.log(`✓ wrote ${outcome.file}; next: gate check ${answers.name}`)
    return outcome
  }
}

/** Questions on stderr, answers from stdin, so stdout stays for what the command prints. */
async function askOnTerminal(given: Parameters<typeof askAnswers>[0]) {
  const {createInterface} = await import('node:readline/promises')
  const terminal = createInterface({input: process.stdin, output: process.stderr})
  try {
    return await askAnswers(given, async (question, answer = '') => {
      const reply = await terminal.question(`${question}${answer ? ` [${answer}]` : ''}: `)
      return reply.trim() === '' ? answer : reply
    })
  } finally {
    terminal.close()
  }
}
