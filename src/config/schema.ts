// The JSON Schema of gate files, format version 1 (gate-file.md). It is the one source of the
// format's keys, types and defaults: ajv checks files with it and `gate schema` prints it for editors.
//
// Shared parts are repeated in place rather than referenced with $ref: ajv copies the error list on
// every call into a referenced schema, which turns a file with 30,000 bad entries into minutes.
// `title` names the kind of a shared part (duration, slug, expectations) so messages can describe it.
import {UNITS} from '../engine/units.js'
import {MIN_SECRET_LENGTH} from '../redact.js'
import type {TargetNarrative} from '../results/types.js'

/** A service name as `${services.NAME.url}` can refer to it. */
export const SERVICE_NAME = '[A-Za-z_][A-Za-z0-9_-]*'
/** An environment variable name as `${env.NAME}` can refer to it. */
export const ENV_NAME = '[A-Za-z_][A-Za-z0-9_]*'
/** A gate argument's name as `${args.NAME}` and `--arg NAME=VALUE` name it. */
export const ARG_NAME = '[A-Za-z_][A-Za-z0-9_-]*'

const DURATION_UNITS = Object.keys(UNITS).filter((unit) => UNITS[unit]?.dimension === 'duration')
// Mirrors what parseDuration accepts, so editors flag exactly what loading would reject.
const DURATION_PATTERN = `^\\s*(\\d+(\\.\\d*)?|\\.\\d+)(e[+-]?\\d+)?\\s*(${DURATION_UNITS.join('|')})\\s*$`

function duration(description: string, defaultValue?: string) {
  return {
    title: 'duration',
    type: ['string', 'number'],
    pattern: DURATION_PATTERN,
    minimum: 0,
    description: `${description} A duration such as 500ms, 30s or 2m; a bare number is milliseconds.`,
    ...(defaultValue === undefined ? {} : {default: defaultValue}),
  }
}

function slug(description: string) {
  return {
    title: 'slug',
    type: 'string',
    pattern: '^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$',
    description:
      `${description} Lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or ` + `digit.`,
  }
}

const service = {
  type: 'object',
  additionalProperties: false,
  required: ['command', 'ready'],
  description: 'A system under test: the command that starts it and how to tell that it is ready.',
  properties: {
    command: {
      type: 'string',
      minLength: 1,
      description:
        'Shell command line that starts the service, run from the project root in its own process group. ' +
        '${env.NAME}, ${args.NAME} and ${gate.dir} are expanded.',
    },
    cwd: {
      type: 'string',
      minLength: 1,
      description: 'Working directory of the command, relative to the project root (the directory that holds gates/).',
    },
    env: {
      type: 'object',
      description:
        'Extra environment variables for the command. ${env.NAME}, ${args.NAME} and ${gate.dir} are expanded in ' +
        'values.',
      propertyNames: {pattern: `^${ENV_NAME}$`, description: 'Letters, digits and "_", not starting with a digit.'},
      additionalProperties: {type: ['string', 'number', 'boolean'], description: 'Value of the variable.'},
    },
    ready: {
      type: 'object',
      additionalProperties: false,
      description:
        'How to tell that the service is up: a line in its output (log), an HTTP URL that answers (http), or both ' +
        'in that order.',
      anyOf: [{required: ['log']}, {required: ['http']}],
      properties: {
        log: {
          type: 'string',
          minLength: 1,
          description:
            'Regular expression matched against each output line; its named group "url", e.g. (?<url>http://\\S+), ' +
            'gives ${services.NAME.url}.',
        },
        http: {
          type: 'string',
          minLength: 1,
          description:
            'URL polled until it answers with a 2xx status; its origin becomes ${services.NAME.url} unless the log ' +
            'gave one. ${env.NAME} and ${args.NAME} are expanded.',
        },
        timeout: duration('Time the service has to become ready.', '30s'),
      },
    },
    stop_timeout: duration('Grace time between SIGTERM and SIGKILL when the service is stopped.', '5s'),
  },
}

const target = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'validator', 'expect'],
  description: 'One claim to check: a validator collects evidence and the expectations judge it.',
  properties: {
    id: slug('Unique id of the target within the gate, used in results and reports.'),
    title: {
      type: 'string',
      minLength: 1,
      description: 'One line that says what the target claims. Defaults to the id.',
    },
    validator: {
      type: 'string',
      minLength: 1,
      description: 'The validator plugin that collects the evidence, e.g. http, command, claim, artifact.',
    },
    with: {
      type: 'object',
      default: {},
      description:
        "The validator's own options, checked against the validator's schema. ${env.NAME}, ${args.NAME}, " +
        '${gate.dir} and ${services.NAME.url} are expanded.',
    },
    expect: {
      title: 'expectations',
      type: ['string', 'array'],
      minLength: 1,
      minItems: 1,
      items: {
        type: 'string',
        minLength: 1,
        description: 'One expectation: [statistic(]metric[)] operator value[unit].',
      },
      description: 'Expectation(s) that must all hold, e.g. "p95(latency) < 100ms" or "error_rate < 1%".',
    },
    weight: {
      type: 'number',
      minimum: 0,
      default: 1,
      description: 'Importance of the target in the consensus (not its confidence).',
    },
    required: {type: 'boolean', default: false, description: 'When true the target must PASS for the gate to PROCEED.'},
    level: {
      enum: ['error', 'warn'],
      default: 'error',
      description: 'warn: the target counts in the consensus but never blocks by itself.',
    },
    timeout: duration('Time this target may take; defaults to defaults.timeout.'),
    quality: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1,
      description: "Lowers the evidence quality below its kind's default (0 < quality <= 1); it is never raised.",
    },
    allow_remote: {
      type: 'boolean',
      default: false,
      description:
        'Let this target send traffic to addresses outside the loopback range (127.0.0.0/8, ::1, localhost). Off by ' +
        'default: a gate loads only this machine unless it says otherwise.',
    },
    owner: {
      type: 'string',
      minLength: 1,
      description: 'Who answers for the target (a person or team), shown beside it in reports. Plain text.',
    },
    notes: {
      type: 'string',
      minLength: 1,
      description: "Context a reviewer needs beside the numbers, shown in the target's section of reports. Plain text.",
    },
    recommendation: {
      type: 'string',
      minLength: 1,
      description: 'What the owner recommends for this target, shown beside what the evidence says. Plain text.',
    },
    risk: {
      type: 'object',
      additionalProperties: false,
      required: ['likelihood', 'impact', 'mitigation'],
      description: 'The risk of missing this target as the team judges it; reports list it beside the computed risks.',
      properties: {
        likelihood: {enum: ['low', 'medium', 'high'], description: 'How likely the target is to be missed.'},
        impact: {enum: ['low', 'medium', 'high'], description: 'How much missing it would hurt.'},
        mitigation: {type: 'string', minLength: 1, description: 'What limits the damage or the chance. Plain text.'},
      },
    },
  },
}

export const gateSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'phasegate gate file, format version 1',
  description: 'A phase gate: the targets to measure and the rule that decides PROCEED or BLOCK.',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'targets'],
  properties: {
    version: {const: 1, description: 'Format version of this file. Always 1.'},
    gate: slug('Name of the gate in results and reports. Defaults to the file name without .yaml.'),
    title: {
      type: 'string',
      minLength: 1,
      description: 'One line that says what passing this gate means. Defaults to the gate name.',
    },
    decision: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'How target confidences turn into PROCEED or BLOCK.',
      properties: {
        min_consensus: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          default: 0.85,
          description: 'Weighted mean of target confidences needed to PROCEED (0..1).',
        },
        confidence: {
          type: 'number',
          exclusiveMinimum: 0.5,
          exclusiveMaximum: 1,
          default: 0.95,
          description: 'A target PASSes only when its confidence reaches this (between 0.5 and 1).',
        },
        seed: {
          type: 'integer',
          default: 1,
          description: 'Seed of the bootstrap resampling, so runs over the same evidence agree.',
        },
        resamples: {
          type: 'integer',
          minimum: 100,
          maximum: 1_000_000,
          default: 2000,
          description: 'Bootstrap resamples per expectation (at least 100).',
        },
      },
    },
    args: {
      type: 'object',
      default: {},
      description:
        'Parameters of the gate, given with `gate check GATE --arg NAME=VALUE` and used as ${args.NAME} wherever ' +
        '${env.NAME} may appear: e.g. which database a storage gate measures.',
      propertyNames: {
        pattern: `^${ARG_NAME}$`,
        description: 'Letters, digits, "_" and "-", starting with a letter or "_".',
      },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        description: 'One argument: its default and what it selects.',
        properties: {
          default: {
            type: ['string', 'number', 'boolean'],
            description: 'Value when --arg does not give one; without a default the argument must be given.',
          },
          description: {type: 'string', description: 'What the argument selects, shown by `gate validate`.'},
        },
      },
    },
    secrets: {
      type: 'array',
      default: [],
      description:
        `Environment variables whose values are secret: wherever a run prints or saves anything ` +
        `(results, history, reports, progress, errors), their values are replaced by ***, whether they came in ` +
        `through \${env.NAME} or a service or command printed them. A value shorter ` +
        `than ${MIN_SECRET_LENGTH} characters is not redacted (with a warning); an unset one has nothing to redact.`,
      items: {
        title: 'env-name',
        type: 'string',
        pattern: `^${ENV_NAME}$`,
        description: 'Name of an environment variable: letters, digits and "_", not starting with a digit.',
      },
    },
    defaults: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'Settings every target gets unless it says otherwise.',
      properties: {
        timeout: duration('Time a target may take; a target over it is NO_DATA and the run goes on.', '2m'),
      },
    },
    build: {
      type: 'object',
      additionalProperties: false,
      required: ['command'],
      description:
        'How to build a checkout of the project before its services start: `gate check --against REF` runs it in ' +
        "the baseline's temporary worktree (a plain check never runs it).",
      properties: {
        command: {
          type: 'string',
          minLength: 1,
          description:
            "Shell command line run from the checkout's root, e.g. npm run compile. A checkout without " +
            "node_modules gets a link to the candidate's.",
        },
        timeout: duration('Time the build may take.', '10m'),
      },
    },
    services: {
      type: 'object',
      default: {},
      description: 'Systems under test that the gate starts before the targets and always stops afterwards, by name.',
      propertyNames: {
        pattern: `^${SERVICE_NAME}$`,
        description:
          'Letters, digits, "_" and "-", starting with a letter or "_", so ${services.NAME.url} can name it.',
      },
      additionalProperties: service,
    },
    targets: {
      type: 'array',
      minItems: 1,
      description: 'What must hold for the gate to pass, each measured by a validator.',
      items: target,
    },
    next_phase: {
      type: 'array',
      minItems: 1,
      description: 'Conditions for the next gate, one per item: reports list them after the decision.',
      items: {type: 'string', minLength: 1, description: 'One condition, in plain text.'},
    },
  },
}

/** A duration as written: "30s", "2m", "500ms" or a number of milliseconds. */
export type DurationText = string | number

/** A service as written, after the schema's defaults. */
export interface ServiceDocument {
  command: string
  cwd?: string
  env?: Record<string, string | number | boolean>
  ready: {http?: string; log?: string; timeout: DurationText}
  stop_timeout: DurationText
}

/** A gate argument as written. */
export interface ArgDocument {
  default?: string | number | boolean
  description?: string
}

/** A target as written, after the schema's defaults. */
export interface TargetDocument {
  id: string
  title?: string
  validator: string
  with: Record<string, unknown>
  expect: string | string[]
  weight: number
  required: boolean
  level: 'error' | 'warn'
  timeout?: DurationText
  quality?: number
  allow_remote: boolean
  owner?: string
  notes?: string
  recommendation?: string
  risk?: TargetNarrative['risk']
}

/** A gate file that passed the schema, with the schema's defaults filled in. */
export interface GateDocument {
  version: 1
  gate?: string
  title?: string
  decision: {min_consensus: number; confidence: number; seed: number; resamples: number}
  args: Record<string, ArgDocument>
  secrets: string[]
  defaults: {timeout: DurationText}
  build?: {command: string; timeout: DurationText}
  services: Record<string, ServiceDocument>
  targets: TargetDocument[]
  next_phase?: string[]
}
