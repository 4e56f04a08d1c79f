// The plugin's entry (package.json `oclif.hooks['gate:validators']`): phasegate hands its runtime API in, so this
// package needs phasegate's types only.
import type {ValidatorsHook} from 'phasegate'

import {makeDashboardValidator} from './dashboard.js'

export {type DashboardMode, type DashboardOptions, makeDashboardValidator} from './dashboard.js'

const hook: ValidatorsHook = async ({api}) => [makeDashboardValidator(api)]

export default hook
