// The plugin's entry (package.json `oclif.hooks['gate:validators']`): phasegate hands its runtime API in, so this
// package needs phasegate's types only.
import type {ValidatorsHook} from 'phasegate'

import {makeWasmValidator} from './wasm.js'

export {makeWasmValidator, type WasmOptions} from './wasm.js'

const hook: ValidatorsHook = async ({api}) => [makeWasmValidator(api)]

export default hook
