import type {Dimension} from '../engine/types.js'
import {parseQuantity} from '../engine/units.js'
import {DIMENSIONS} from './evidence.js'
import {METRIC_NAME_PATTERN} from './schema.js'
import {defineValidator} from './types.js'

export interface ClaimOptions {
  metric: string
  value: number | string
  source: string
  dimension?: Dimension
}

/** The claimed number in canonical units and its dimension; throws when the value and `dimension` disagree. */
export function claimedQuantity(options: ClaimOptions): {dimension: Dimension; value: number} {
  const quantity =
    typeof options.value === 'number' ? {dimension: null, value: options.value} : parseQuantity(options.value)
  if (!quantity || !Number.isFinite(quantity.value)) {
    throw new Error(
      `value ${JSON.stringify(options.value)} is not a quantity: write it like 850ms, 52x, 92%, 1.5GiB or a plain ` +
        `number`,
    )
  }

  if (quantity.dimension === null) return {dimension: options.dimension ?? 'count', value: quantity.value}
  if (options.dimension !== undefined && options.dimension !== quantity.dimension) {
    throw new Error(
      `value "${options.value}" is a ${quantity.dimension} but dimension says ${options.dimension}; drop dimension, ` +
        `it is only for plain numbers`,
    )
  }

  return {dimension: quantity.dimension, value: quantity.value}
}

export const claim = defineValidator<ClaimOptions>({
  name: 'claim',
  description:
    'A number someone states, with its source. Weak evidence (quality 0.3): it can never PASS a target alone.',
  kind: 'claim',
  options: {
    additionalProperties: false,
    properties: {
      dimension: {
        description:
          'What a plain-number value measures (default count); durations in ms and sizes in bytes. Values with a ' +
          'unit carry their own.',
        enum: [...DIMENSIONS],
        type: 'string',
      },
      metric: {
        description: 'Name of the claimed metric, as the expectations use it.',
        pattern: METRIC_NAME_PATTERN,
        type: 'string',
      },
      source: {
        description: 'Who claims it and where, e.g. "vendor report, 2025-10-09".',
        minLength: 1,
        pattern: '\\S',
        type: 'string',
      },
      value: {
        description: 'The claimed value with its unit, e.g. 850ms, 52x, 92%, or a plain number.',
        type: ['string', 'number'],
      },
    },
    required: ['metric', 'value', 'source'],
    type: 'object',
  },
  metrics: (options) => [
    {
      description: `claimed by ${options.source}`,
      dimension: claimedQuantity(options).dimension,
      name: options.metric,
      type: 'value',
    },
  ],
  async collect(_ctx, options) {
    const {dimension, value} = claimedQuantity(options)
    return {kind: 'claim', metrics: {[options.metric]: {dimension, type: 'value', value}}, source: options.source}
  },
})
