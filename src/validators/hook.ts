import type {Hook} from '@oclif/core'

import type {Validator} from './types.js'

/**
 * The host CLI's runtime API (the `phasegate` module: defineValidator, the load engine, units …),
 * handed to every plugin's hook so a plugin uses exactly the engine of the CLI that loads it and
 * never needs `phasegate` at run time — only its types.
 */
export type PhasegateApi = typeof import('../index.js')

/** What the registry passes to every `gate:validators` hook. */
export interface ValidatorsHookOptions {
  api: PhasegateApi
}

// Gives `config.runHook('gate:validators', …)` and plugin hooks their types. The subpath matters:
// `Hooks` is declared there, and augmenting '@oclif/core' itself silently merges into nothing.
declare module '@oclif/core/hooks' {
  interface Hooks {
    'gate:validators': {options: ValidatorsHookOptions; return: Validator[]}
  }
}

/**
 * The hook a validator plugin exports (package.json `oclif.hooks['gate:validators']`):
 * `const hook: ValidatorsHook = async ({api}) => [makeMyValidator(api)]; export default hook`.
 */
export type ValidatorsHook = Hook<'gate:validators'>
