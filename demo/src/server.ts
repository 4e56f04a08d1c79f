import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {createApp} from './app.js'
import {isLoopback, parseConfig, UsageError, USAGE} from './config.js'

/** Past this, a shutdown that has not finished is abandoned with exit code 1. */
const SHUTDOWN_TIMEOUT_MS = 10_000

// stdout carries only the listening line, which the gate's readiness check waits for; everything else goes to stderr.
const log = (line: string): void => void process.stderr.write(`${line}\n`)

function main(): void {
  let config
  try {
    config = parseConfig(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    log(`demo: ${error.message} (see --help)`)
    process.exitCode = 2
    return
  }

  if (config === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return
  }

  if (!isLoopback(config.host)) log(`demo: listening on ${config.host}, which is not a loopback address`)
  const app = createApp(config, log)
  const server = http.createServer(app.handle)
  server.on('upgrade', app.upgrade)

  let stopping = false
  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) return
    stopping = true
    setTimeout(() => {
      log(`demo: shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS} ms`)
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS).unref()
    log(`demo: ${reason}, stopping`)
    server.close()
    await app.close()
    server.closeAllConnections()
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutdown(`received ${signal}`))
  server.once('error', (error) => {
    log(`demo: cannot listen on ${config.host}:${config.port}: ${error.message}`)
    process.exitCode = 1
    void shutdown('not listening')
  })
  server.listen(config.port, config.host, () => {
    const {address, family, port} = server.address() as AddressInfo
    process.stdout.write(`listening on http://${family === 'IPv6' ? `[${address}]` : address}:${port}\n`)
  })
}

main()
