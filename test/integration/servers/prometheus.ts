// A throw-away Prometheus for integration tests: its own config and TSDB in a temp dir, on a free
// port of 127.0.0.1, scraping the given targets every second; stopped with its process group.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {queryPrometheus} from '../../../src/telemetry/prometheus.js'
import {freePort, spawnServer} from './process.js'
import {requireProgram} from './required.js'

/** The prometheus binary, or undefined (locally) when it is not installed. */
export const PROMETHEUS = requireProgram(
  'Prometheus',
  'apt-get install prometheus',
  'prometheus',
  '/usr/bin/prometheus',
)

export interface PrometheusServer {
  /** http://127.0.0.1:PORT */
  url: string
  /** Waits until every job's target has been scraped and is up. */
  waitForTargets(timeoutMs?: number): Promise<void>
  /** Waits until `query` gives one value that `accept` takes; returns it. */
  waitForValue(query: string, accept: (value: number) => boolean, timeoutMs?: number): Promise<number>
  /** SIGTERM to its process group (SIGKILL after 10 s), then removes its directory; safe to call twice. */
  stop(): Promise<void>
}

const STEP_MS = 200

/** Starts Prometheus scraping `jobs` (job name → base URL of a server with /metrics) every second. */
export async function startPrometheus(jobs: Record<string, string>): Promise<PrometheusServer> {
  if (!PROMETHEUS) throw new Error('Prometheus is not installed: guard the suite with describe.skipIf(!PROMETHEUS)')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-prometheus-'))
  const config = path.join(dir, 'prometheus.yml')
  writeFileSync(config, configFor(jobs))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const server = spawnServer(PROMETHEUS, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ])
  const {child} = server
  let stopped = false
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true
      await server.stop()
    }

    rmSync(dir, {force: true, recursive: true})
  }

  const failure = (what: string): Error => new Error(`Prometheus ${what}; its log:\n${server.output()}`)
  const until = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw failure(`exited (${child.exitCode ?? child.signalCode}) while waiting for ${what}`)
      const found = await probe().catch(() => undefined)
      if (found !== undefined) return found
      await sleep(STEP_MS)
    }

    throw failure(`did not reach "${what}" within ${timeoutMs} ms`)
  }

  try {
    await until('ready', 30_000, async () =>
      (await fetch(`${url}/-/ready`, {signal: AbortSignal.timeout(2000)})).ok ? true : undefined,
    )
  } catch (error) {
    await stop()
    throw error
  }

  const waitForValue = (query: string, accept: (value: number) => boolean, timeoutMs = 20_000): Promise<number> =>
    until(`${query} accepted`, timeoutMs, async () => {
      const samples = await queryPrometheus({query, timeoutMs: 2000, url})
      return samples.length === 1 && accept(samples[0]!.value) ? samples[0]!.value : undefined
    })

  return {
    stop,
    url,
    async waitForTargets(timeoutMs = 20_000) {
      for (const job of Object.keys(jobs)) await waitForValue(`up{job="${job}"}`, (up) => up === 1, timeoutMs)
    },
    waitForValue,
  }
}

function configFor(jobs: Record<string, string>): string {
  const scrapes = Object.entries(jobs).map(([job, base]) => {
    const target = new URL(base)
    return [
      `  - job_name: ${JSON.stringify(job)}`,
      `    metrics_path: ${JSON.stringify(`${target.pathname.replace(/\/+$/, '')}/metrics`)}`,
      `    static_configs: [{targets: [${JSON.stringify(target.host)}]}]`,
    ].join('\n')
  })
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    ...scrapes,
    '',
  ].join('\n')
}
