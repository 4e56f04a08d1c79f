import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {openServiceLog} from '../../../src/results/service-log.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'service-log-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

describe('openServiceLog', () => {
  it('writes each line to <id>.services.log in the runs folder, which it makes', async () => {
    const runs = path.join(dir, '.gate', 'runs')
    const log = openServiceLog(runs, 'phase-2-20261206T080000Z')
    log.write('[demo] listening on http://127.0.0.1:1')
    log.write('[demo] swarm swarm-1: leader ready')
    await log.close()
    await log.close()
    expect(log.file).toBe(path.join(runs, 'phase-2-20261206T080000Z.services.log'))
    expect(readFileSync(log.file, 'utf8')).toBe(
      '[demo] listening on http://127.0.0.1:1\n[demo] swarm swarm-1: leader ready\n',
    )
  })

  it('gives two runs that started in the same second a log each', async () => {
    const first = openServiceLog(dir, 'smoke-20261206T080000Z')
    const second = openServiceLog(dir, 'smoke-20261206T080000Z')
    first.write('first')
    second.write('second')
    await Promise.all([first.close(), second.close()])
    expect(path.basename(second.file)).toBe('smoke-20261206T080000Z-2.services.log')
    expect(readFileSync(first.file, 'utf8')).toBe('first\n')
    expect(readFileSync(second.file, 'utf8')).toBe('second\n')
  })
})
