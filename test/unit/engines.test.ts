import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {parse} from 'acorn'
import {describe, expect, it} from 'vitest'

import {unsupportedNode} from '../../bin/engines.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const RANGE: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node

describe('the Node version check that bin/run.js makes first', () => {
  it('accepts the lowest version of the range and anything newer', () => {
    for (const version of ['v22.12.0', 'v22.12.1', 'v22.13.0', 'v23.0.0', 'v24.21.0', 'v100.0.0'])
      expect(unsupportedNode(version, '>=22.12.0'), version).toBeUndefined()
  })

  it('refuses anything older, naming both versions and what to install', () => {
    for (const version of ['v22.11.9', 'v22.0.0', 'v20.20.2', 'v18.19.0']) {
      const message = unsupportedNode(version, '>=22.12.0')
      expect(message, version).toContain(`this is Node.js ${version.slice(1)}`)
      expect(message).toContain('gate needs Node.js >=22.12.0')
      expect(message).toContain('Install Node 24 LTS')
    }
  })

  it("reads package.json's engines.node (a shape it cannot read is a build mistake, said at once)", () => {
    expect(unsupportedNode(process.version, RANGE)).toBeUndefined()
    expect(() => unsupportedNode('v24.0.0', '^22 || ^24')).toThrow(/reads only ">=X.Y.Z"/)
  })

  it('is written so that Node 12 parses it: no ?., ??, logical assignment, top-level await or class fields', () => {
    for (const file of ['run.js', 'engines.js']) {
      const source = readFileSync(path.join(ROOT, 'bin', file), 'utf8').replace(/^#!.*/, '')
      // ES2020 for import.meta and import(), which Node 12.17 has; what ES2020 adds beyond them is looked for below.
      const program = parse(source, {ecmaVersion: 2020, sourceType: 'module'})
      const found: string[] = []
      const visit = (node: any, depth: number): void => {
        if (node.type === 'ChainExpression') found.push('?.')
        if (node.type === 'LogicalExpression' && node.operator === '??') found.push('??')
        if (node.type === 'AwaitExpression' && depth === 0) found.push('top-level await')
        const inner = /Function/.test(node.type) ? depth + 1 : depth
        for (const value of Object.values(node))
          for (const child of Array.isArray(value) ? value : [value])
            if (typeof child?.type === 'string') visit(child, inner)
      }
      visit(program, 0)
      expect(found, file).toEqual([])
    }
    // ES2020 itself rejects what came later (??=, class fields): parse() above would have thrown.
    expect(() => parse('a ??= 1', {ecmaVersion: 2020})).toThrow()
  })

  // The system Node of these machines (20) is older than the range: started with it, gate used to crash (SIGSEGV in
  // better-sqlite3, built for the Node that installed it) with nothing said.
  const old = ['/usr/bin/node', '/usr/local/bin/node'].find((file) => {
    try {
      const version = execFileSync(file, ['--version'], {encoding: 'utf8'}).trim()
      return unsupportedNode(version, RANGE) !== undefined
    } catch {
      return false
    }
  })
  if (!old) console.warn('SKIPPED: no Node older than the engines range in /usr/bin or /usr/local/bin')
  it.skipIf(!old)('started by an older Node, gate says so and exits 2 before loading anything', () => {
    const run = spawnSync(old!, [path.join(ROOT, 'bin', 'run.js'), 'check', 'phase-2'], {cwd: ROOT, encoding: 'utf8'})
    expect(run.status).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr.startsWith(`gate needs Node.js ${RANGE}; this is Node.js `), run.stderr).toBe(true)
    expect(run.stderr).toMatch(/; this is Node\.js [\d.]+ \(.+\)\.\nInstall Node 24/)
  })
})
