import type {Outcome} from '../engine/types.js'
import {score} from '../report/numbers.js'
import type {RunResults} from '../results/types.js'
import type {GitHubClient} from './client.js'
import type {Repository} from './context.js'

/** A check run's conclusion from the decision; an interrupted run was cut short, whatever it decided. */
export const CONCLUSION: Readonly<Record<Outcome, 'success' | 'failure' | 'neutral'>> = {
  BLOCK: 'failure',
  INCONCLUSIVE: 'neutral',
  PROCEED: 'success',
}

export function conclusionFor(results: RunResults): 'success' | 'failure' | 'neutral' | 'cancelled' {
  return results.interrupted ? 'cancelled' : CONCLUSION[results.decision.outcome]
}

/** Creates a completed check run named after the gate on `headSha`, with the comment body as its summary. */
export async function createCheckRun(
  client: GitHubClient,
  where: Repository & {headSha: string},
  results: RunResults,
  summary: string,
): Promise<{id: number; url: string}> {
  const consensus = score(results.consensus, results.decision.minConsensus)
  const minimum = score(results.decision.minConsensus, results.consensus)
  const {data} = await client.request('POST /repos/{owner}/{repo}/check-runs', {
    completed_at: results.finishedAt,
    conclusion: conclusionFor(results),
    head_sha: where.headSha,
    name: `phasegate: ${results.gate.name}`.slice(0, 200),
    output: {
      summary,
      title: `${results.decision.outcome} — consensus ${consensus} (minimum ${minimum})`,
    },
    owner: where.owner,
    repo: where.repo,
    started_at: results.startedAt,
    status: 'completed',
  })
  return {id: Number(data.id), url: data.html_url ?? data.url}
}
