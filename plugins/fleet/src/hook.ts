// The plugin's entry (package.json `oclif.hooks['gate:validators']`): phasegate hands its runtime API in, so this
// package needs phasegate's types only.
import type {ValidatorsHook} from 'phasegate'

import {makeFleetValidator} from './fleet.js'

export {type FleetOptions, makeFleetValidator} from './fleet.js'

const hook: ValidatorsHook = async ({api}) => [makeFleetValidator(api)]

export default hook
