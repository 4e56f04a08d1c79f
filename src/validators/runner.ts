import {formatValue} from '../engine/units.js'
import {checkEvidence, type Collected} from './evidence.js'
import {resolveOptions} from './options.js'
import type {CollectContext, Shard, Validator} from './types.js'

/** setTimeout fires at once beyond this (a 32-bit overflow), so longer timeouts are clamped. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export interface RunContext extends Omit<CollectContext, 'signal'> {
  /** The whole target's budget; over it the target is NO_DATA and the run goes on. */
  timeoutMs: number
  /** The run's signal (Ctrl-C); the validator gets one that also fires at the timeout. */
  signal?: AbortSignal
}

/**
 * Runs one validator for one target, isolated: the options get their schema defaults, the
 * validator gets a signal that fires at the timeout or on Ctrl-C and is cut off if it ignores
 * it, a throw becomes NO_DATA with its message, and the evidence is checked before anyone uses it.
 */
export async function collectEvidence(validator: Validator, options: unknown, ctx: RunContext): Promise<Collected> {
  if (ctx.signal?.aborted) return {noData: 'interrupted before it ran'}
  let resolved: ReturnType<typeof resolveOptions>
  try {
    resolved = resolveOptions(validator, options)
  } catch (error) {
    return {noData: `validator ${validator.name} has a broken options schema: ${messageOf(error)}`}
  }

  if (resolved.problems.length > 0) {
    return {
      noData:
        `validator ${validator.name} rejected its ` +
        `options: ${resolved.problems.map(({message}) => message).join('; ')}`,
    }
  }

  const outcome = await collectBounded(validator, resolved.options, ctx)
  return 'raw' in outcome ? checkEvidence(outcome.raw, validator, ctx.seed) : outcome
}

async function collectBounded(
  validator: Validator,
  options: Record<string, unknown>,
  ctx: RunContext,
): Promise<{noData: string} | {raw: unknown}> {
  const controller = new AbortController()
  const timedOut = `timed out after ${formatValue(ctx.timeoutMs, 'duration')}`
  const timer = setTimeout(
    () => controller.abort(new DOMException(timedOut, 'TimeoutError')),
    Math.min(ctx.timeoutMs, MAX_TIMER_MS),
  )
  const onInterrupt = (): void => controller.abort(ctx.signal?.reason)
  ctx.signal?.addEventListener('abort', onInterrupt, {once: true})
  const reason = (): string => (ctx.signal?.aborted ? 'interrupted' : timedOut)

  // Settles at the deadline even when the validator ignores its signal and never returns.
  const cutOff = new Promise<{noData: string}>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve({noData: reason()}), {once: true})
  })
  const {shard, signal, timeoutMs, ...shared} = ctx
  // A validator that cannot split its work never sees the shard: where it runs, it runs whole.
  const share = shard && validator.shardable ? {shard} : {}
  const collecting = Promise.resolve()
    .then(() => validator.collect({...shared, ...share, signal: controller.signal}, options))
    .then(
      (raw): {raw: unknown} => ({raw}),
      (error: unknown) => ({
        noData: controller.signal.aborted ? reason() : `validator ${validator.name} failed: ${messageOf(error)}`,
      }),
    )
  try {
    return await Promise.race([collecting, cutOff])
  } finally {
    clearTimeout(timer)
    ctx.signal?.removeEventListener('abort', onInterrupt)
    // Tells work the validator left behind (timers, sockets) to stop.
    controller.abort(new DOMException('the target is finished', 'AbortError'))
  }
}

/**
 * Whether a target runs on this shard: a shardable validator does its share on every shard, any other runs whole on
 * shard 1 only.
 */
export function runsOnShard(validator: Pick<Validator, 'shardable'>, shard: Shard | undefined): boolean {
  return shard === undefined || validator.shardable === true || shard.index === 1
}

/** The message only: a stack would leak a plugin's internals into a report. */
function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.trim() || (error instanceof Error ? error.name : 'unknown error')
}
