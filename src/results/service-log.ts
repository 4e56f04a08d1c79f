import {closeSync, createWriteStream, openSync, type WriteStream} from 'node:fs'
import path from 'node:path'

import {makeDirectory} from './store.js'

/** A service that prints without end cannot fill the disk: past this the log says it was cut. */
const MAX_LOG_BYTES = 16 * 1024 * 1024

/** Where a run's services print to: a file beside the run's results, written in the background. */
export interface ServiceLog {
  file: string
  write(line: string): void
  /** Flushes and closes the file; idempotent. */
  close(): Promise<void>
}

/**
 * Opens `<runsDir>/<id>.services.log` under a name no other run has taken (`<id>-2.services.log`… for
 * two runs in the same second), like the results file it sits beside.
 */
export function openServiceLog(runsDir: string, id: string): ServiceLog {
  makeDirectory(runsDir)
  let fd: number | undefined
  let file = ''
  for (let n = 1; fd === undefined; n++) {
    file = path.join(runsDir, `${n === 1 ? id : `${id}-${n}`}.services.log`)
    try {
      fd = openSync(file, 'wx')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }

  let stream: WriteStream
  try {
    stream = createWriteStream('', {fd})
  } catch (error) {
    closeSync(fd)
    throw error
  }
  let written = 0
  let closing: Promise<void> | undefined
  // A write error (disk full) must not take the run down: the log is a convenience, the run's evidence is elsewhere.
  stream.on('error', () => {})
  return {
    file,
    write(line) {
      if (closing || written > MAX_LOG_BYTES) return
      written += Buffer.byteLength(line) + 1
      stream.write(written > MAX_LOG_BYTES ? `… log cut at ${MAX_LOG_BYTES / 1024 ** 2} MiB\n` : `${line}\n`)
    },
    close() {
      closing ??= new Promise((resolve) => stream.end(() => resolve()))
      return closing
    },
  }
}
