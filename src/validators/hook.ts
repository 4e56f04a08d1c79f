import type {Hook} from '@oclif/core'

import type {Validator} from './types.js'

// Gives `config.runHook('gate:validators', …)` and plugin hooks their types. The subpath matters:
// `Hooks` is declared there, and augmenting '@oclif/core' itself silently merges into nothing.
declare module '@oclif/core/hooks' {
  interface Hooks {
    'gate:validators': {options: Record<never, never>; return: Validator[]}
  }
}

/**
 * The hook a validator plugin exports (package.json `oclif.hooks['gate:validators']`):
 * `const hook: ValidatorsHook = async () => [myValidator]; export default hook`.
 */
export type ValidatorsHook = Hook<'gate:validators'>
