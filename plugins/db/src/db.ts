import type {PhasegateApi, Validator} from 'phasegate'

import {PARAM_SCHEMA} from './params.js'
import {
  type DbOptions,
  DEFAULT_BATCHES,
  DEFAULT_ITERATIONS,
  LIMITS,
  metricSpecsOf,
  SCENARIO_NAME_PATTERN,
} from './plan.js'
import {measureDb} from './run.js'

export type {DbOptions, ScenarioOptions} from './plan.js'

const SQL = {minLength: 1, type: 'string'}
const SQL_LIST = (description: string): Record<string, unknown> => ({
  anyOf: [SQL, {items: SQL, minItems: 1, type: 'array'}],
  description,
})

export function makeDbValidator(api: PhasegateApi): Validator<DbOptions> {
  return api.defineValidator<DbOptions>({
    name: 'db',
    description:
      'Runs SQL scenarios against SQLite (embedded, a temporary file by default) or PostgreSQL: the latency of each ' +
      'operation, bulk batches timed whole, concurrent sessions each on its own connection, and a consistency check ' +
      'per scenario.',
    kind: 'measured',
    options: {
      additionalProperties: false,
      properties: {
        busy_timeout: api.durationOption(
          'SQLite: how long a session waits for a lock another one holds before SQLITE_BUSY.',
          '5s',
        ),
        connect_timeout: api.durationOption('PostgreSQL: how long opening a connection may take.', '10s'),
        driver: {
          description:
            'sqlite or postgres; without it, a postgres:// or postgresql:// url means postgres and anything else ' +
            'sqlite.',
          enum: ['sqlite', 'postgres'],
          type: 'string',
        },
        on_connect: SQL_LIST(
          'SQL run on every new connection before it is used (PRAGMA …, SET …); timed as part of connect_latency.',
        ),
        scenarios: {
          additionalProperties: {
            additionalProperties: false,
            properties: {
              batch: {
                description:
                  'Operations per batch: each batch is timed whole (<name>_duration) and `iterations` counts batches.',
                maximum: LIMITS.batch,
                minimum: 1,
                type: 'integer',
              },
              check: {
                additionalProperties: false,
                description:
                  'A query run once after the scenario; its first column of the first row must equal `equals`, else ' +
                  'a consistency violation.',
                properties: {
                  equals: {
                    description: 'The value the query must return, e.g. 1000 for a count.',
                    type: ['string', 'number', 'boolean', 'null'],
                  },
                  params: {
                    description: "Values for $1, $2, … of the query, like the scenario's params.",
                    items: PARAM_SCHEMA,
                    type: 'array',
                  },
                  query: {
                    ...SQL,
                    description: 'SQL returning one value, e.g. SELECT count(*) FROM events WHERE run = $1.',
                  },
                },
                required: ['query', 'equals'],
                type: 'object',
              },
              concurrency: {
                default: 1,
                description: 'Sessions run at once, each on its own connection, each running `iterations`.',
                maximum: LIMITS.concurrency,
                minimum: 1,
                type: 'integer',
              },
              iterations: {
                description:
                  `Timed operations per session (default ${DEFAULT_ITERATIONS}), or timed batches when ` +
                  `batch is set (default ${DEFAULT_BATCHES}).`,
                maximum: LIMITS.iterations,
                minimum: 1,
                type: 'integer',
              },
              params: {
                description:
                  'Values for $1, $2, … of every statement: constants or generators {gen: iteration | session | run ' +
                  '| uuid | random_int (min, max) | random_string (length)}.',
                items: PARAM_SCHEMA,
                type: 'array',
              },
              statement: {
                ...SQL,
                description: 'One SQL statement: one operation. Placeholders are $1, $2, … for both drivers.',
              },
              statements: {
                description:
                  'Several statements run in order as one operation (a small session script); they share params.',
                items: SQL,
                minItems: 1,
                type: 'array',
              },
              transaction: {
                default: false,
                description:
                  'Run each timed unit (an operation, or a whole batch) in one transaction: BEGIN (SQLite: BEGIN ' +
                  'IMMEDIATE) … COMMIT, rolled back on an error.',
                type: 'boolean',
              },
              warmup: {
                default: 0,
                description: 'Untimed operations (or batches) per session before the timed ones.',
                maximum: LIMITS.warmup,
                minimum: 0,
                type: 'integer',
              },
            },
            type: 'object',
          },
          description:
            'name → scenario, run one after another in the order written; each name gives metrics <name>_latency ' +
            'and, as they apply, <name>_duration and <name>_sessions.',
          minProperties: 1,
          propertyNames: {
            description:
              'A scenario name is letters, digits and _, not starting with a digit: it names metrics such as ' +
              '<name>_latency.',
            pattern: SCENARIO_NAME_PATTERN,
          },
          type: 'object',
        },
        setup: SQL_LIST(
          'SQL run once before the scenarios, e.g. CREATE TABLE IF NOT EXISTS …; a failure makes the target NO_DATA.',
        ),
        teardown: SQL_LIST('SQL run once after the scenarios, always, also after a failure or an interruption.'),
        url: {
          description:
            'A PostgreSQL URL (postgres://user:password@host:port/db), or a SQLite file path relative to the gate ' +
            'file; omitted or empty: a temporary SQLite file, removed after the run.',
          type: 'string',
        },
      },
      required: ['scenarios'],
      type: 'object',
    },
    metrics: (options) => metricSpecsOf(options),
    collect: (ctx, options) => measureDb(api, ctx, options),
  })
}
