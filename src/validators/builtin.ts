import {artifact} from './artifact.js'
import {claim} from './claim.js'
import {command} from './command.js'
import {http} from './http.js'
import {prometheus} from './prometheus.js'
import type {ValidatorsHook} from './hook.js'
import type {Validator} from './types.js'

/** The generic validators phasegate ships; plugins add the rest through the same hook. */
export const builtinValidators: Validator[] = [command, claim, artifact, http, prometheus]

// Registered in package.json `oclif.hooks['gate:validators']`.
const hook: ValidatorsHook = async () => builtinValidators

export default hook
