// The plugin's entry (package.json `oclif.hooks['gate:validators']`): phasegate hands its runtime API in, so this
// package needs phasegate's types only.
import type {ValidatorsHook} from 'phasegate'

import {makeSwarmValidator} from './swarm.js'

export {type FaultSpec, makeSwarmValidator, type SwarmOptions} from './swarm.js'

const hook: ValidatorsHook = async ({api}) => [makeSwarmValidator(api)]

export default hook
