import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

describe('ProcessGroup.stop', () => {
  it('leaves no timer behind once the group has exited, so the CLI can exit at once', () => {
    // A fresh process with nothing else running: whatever is still active after stop() would keep `gate` alive.
    const script = `
      import {ProcessGroup} from './dist/services/process-group.js'
      const group = ProcessGroup.spawn(process.execPath + ' -e "process.exit(0)"', {cwd: process.cwd()})
      await group.exited
      await group.stop(1000)
      console.log(JSON.stringify(process.getActiveResourcesInfo()))`
    const active = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {cwd: ROOT, encoding: 'utf8'}),
    ) as string[]
    expect(active.filter((kind) => kind === 'Timeout')).toEqual([])
  })
})
