import {parseDuration, UNITS} from '../engine/units.js'

/** Units a duration option may use, from the one unit table. */
const DURATION_UNITS = Object.keys(UNITS).filter((unit) => UNITS[unit]?.dimension === 'duration')

/** JSON Schema of a duration option such as "60s" or "500ms" (read later with parseDuration). */
export function durationOption(description: string, defaultValue?: string): Record<string, unknown> {
  return {
    description: `${description} A duration such as 500ms, 60s or 2m.`,
    pattern: `^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*(${DURATION_UNITS.join('|')})\\s*$`,
    type: 'string',
    ...(defaultValue === undefined ? {} : {default: defaultValue}),
  }
}

/** Reads a duration option in ms; a value the schema let through but parseDuration refuses names the option. */
export function readDuration(text: string, option: string): number {
  const ms = parseDuration(text)
  if (ms === null) throw new Error(`${option} "${text}" is not a duration such as 10s`)
  return ms
}

/** A metric name as expectations can refer to it (the expectation grammar's identifier). */
export const METRIC_NAME_PATTERN = '^[a-zA-Z_][a-zA-Z0-9_.]*$'

/** Unit options accept exactly the units a gate file may write. */
export const UNIT_NAMES = Object.keys(UNITS)
