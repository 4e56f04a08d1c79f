// Parameter generators: the values bound to $1, $2, … of each operation, the same for both drivers.
import {randomBytes, randomUUID} from 'node:crypto'

export type Value = boolean | null | number | string

export const GENERATORS = ['iteration', 'session', 'run', 'uuid', 'random_int', 'random_string'] as const
export type GeneratorName = (typeof GENERATORS)[number]

/** A constant, or `{gen: …}` that makes a value for each operation. */
export type ParamSpec = Value | {gen: GeneratorName; min?: number; max?: number; length?: number}

/** Where an operation stands: which session runs it and its number there (warm-up included, from 0). */
export interface OperationPlace {
  session: number
  iteration: number
}

/** Everything a generator may draw from: the run's id and the session's own seeded random stream. */
export interface ParamSource {
  runId: string
  random: SeededRandom
}

export type ParamGenerator = (place: OperationPlace, source: ParamSource) => Value[]

const MAX_STRING_LENGTH = 1_000_000
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/** JSON Schema of one params entry; combinations the schema cannot say are checked by compileParams. */
export const PARAM_SCHEMA = {
  anyOf: [
    {description: 'A constant bound as is.', type: ['string', 'number', 'boolean', 'null']},
    {
      additionalProperties: false,
      description:
        '{gen: iteration} the operation number in its session (from 0, warm-up included); {gen: session} the ' +
        'session number (from 0); {gen: run} an id unique to this run; {gen: uuid} a new random UUID each time; ' +
        '{gen: random_int, min, max} a seeded integer in [min, max]; {gen: random_string, length} seeded letters ' +
        'and digits.',
      properties: {
        gen: {enum: [...GENERATORS], type: 'string'},
        length: {
          description: 'random_string: number of characters.',
          maximum: MAX_STRING_LENGTH,
          minimum: 0,
          type: 'integer',
        },
        max: {description: 'random_int: largest value (inclusive).', type: 'integer'},
        min: {description: 'random_int: smallest value (inclusive).', type: 'integer'},
      },
      required: ['gen'],
      type: 'object',
    },
  ],
}

/** The generator for a params list; throws a message naming the entry when it is incomplete. */
export function compileParams(specs: readonly ParamSpec[], subject: string): ParamGenerator {
  const makers = specs.map((spec, index) => compileOne(spec, `${subject}: params[${index}]`))
  return (place, source) => makers.map((make) => make(place, source))
}

function compileOne(spec: ParamSpec, where: string): (place: OperationPlace, source: ParamSource) => Value {
  if (spec === null || typeof spec !== 'object') return () => spec
  const extra = (['min', 'max', 'length'] as const).filter(
    (key) => spec[key] !== undefined && !allowed(spec.gen).includes(key),
  )
  if (extra.length > 0) {
    const takes = allowed(spec.gen)
    const instead = takes.length > 0 ? `; it takes ${takes.join(' and ')}` : ''
    throw new Error(`${where}: {gen: ${spec.gen}} takes no ${extra.join(' or ')}${instead}`)
  }
  switch (spec.gen) {
    case 'iteration':
      return (place) => place.iteration
    case 'session':
      return (place) => place.session
    case 'run':
      return (_place, source) => source.runId
    case 'uuid':
      return () => randomUUID()
    case 'random_int': {
      const {max, min} = spec
      if (min === undefined || max === undefined)
        throw new Error(`${where}: {gen: random_int} needs min and max, e.g. {gen: random_int, min: 1, max: 1000}`)
      if (min > max) throw new Error(`${where}: random_int min ${min} is above max ${max}`)
      return (_place, source) => source.random.int(min, max)
    }

    case 'random_string': {
      const {length} = spec
      if (length === undefined)
        throw new Error(`${where}: {gen: random_string} needs length, e.g. {gen: random_string, length: 32}`)
      return (_place, source) => source.random.string(length)
    }
  }
}

function allowed(gen: GeneratorName): string[] {
  if (gen === 'random_int') return ['min', 'max']
  return gen === 'random_string' ? ['length'] : []
}

/** An id no earlier run used, so a check can count only this run's rows in a database that outlives it. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
}

/**
 * Keys and strings drawn from the engine's seeded generator (api.Random): the same gate seed, target,
 * scenario and session draw the same ones, so runs are comparable.
 */
export class SeededRandom {
  constructor(private readonly source: {nextUint32(): number}) {}

  uint32(): number {
    return this.source.nextUint32()
  }

  /** Uniform integer in [min, max]; spans beyond 2^32 use two draws. */
  int(min: number, max: number): number {
    const span = max - min + 1
    const unit = (this.uint32() * 2 ** 32 + this.uint32()) / 2 ** 64
    return min + Math.floor(unit * span)
  }

  string(length: number): string {
    let text = ''
    for (let i = 0; i < length; i++) text += ALPHABET[this.uint32() % ALPHABET.length]
    return text
  }
}
