import type {Hook} from '@oclif/core'
import type {Hooks} from '@oclif/core/hooks'

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
  /**
   * The validators this run needs (a gate's), when it needs only those; absent when all are asked for (`gate
   * validators`). A hint: a plugin may return [] when it provides none of them, and need not load its code for that;
   * one that does should answer in full for a name it does not know, so that a mistyped name's message lists it too.
   */
  needed?: readonly string[]
}

/** oclif's hooks plus ours: oclif 5's `Hooks` is a type, not an interface, so it is extended, not augmented. */
export type GateHooks = Hooks & {
  'gate:validators': {options: ValidatorsHookOptions; return: Validator[]}
}

/**
 * The hook a validator plugin exports (package.json `oclif.hooks['gate:validators']`):
 * `const hook: ValidatorsHook = async ({api}) => [makeMyValidator(api)]; export default hook`.
 */
export type ValidatorsHook = Hook<'gate:validators', GateHooks>
