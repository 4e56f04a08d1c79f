// The plugin's entry (package.json `oclif.hooks['gate:validators']`): phasegate hands its runtime API in, so this
// package needs phasegate's types only.
import type {ValidatorsHook} from 'phasegate'

import {makeCacheValidator} from './cache.js'

export {type CacheOptions, makeCacheValidator, planOf} from './cache.js'

const hook: ValidatorsHook = async ({api}) => [makeCacheValidator(api)]

export default hook
