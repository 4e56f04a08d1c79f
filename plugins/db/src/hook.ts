// The plugin's entry (package.json `oclif.hooks['gate:validators']`): phasegate hands its runtime API in, so this
// package needs phasegate's types only.
import type {ValidatorsHook} from 'phasegate'

import {makeDbValidator} from './db.js'

export {type DbOptions, makeDbValidator, type ScenarioOptions} from './db.js'

const hook: ValidatorsHook = async ({api}) => [makeDbValidator(api)]

export default hook
