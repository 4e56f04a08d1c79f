import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {describeEnvironment, readEnvironment} from '../../../src/results/environment.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, {force: true, recursive: true})))

function repository(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-env-'))
  dirs.push(dir)
  const git = (...args: string[]) => execFileSync('git', args, {cwd: dir, stdio: 'ignore'})
  git('init', '-q', '-b', 'trunk')
  writeFileSync(path.join(dir, 'a.txt'), 'a')
  git('add', 'a.txt')
  git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'a')
  return dir
}

describe('readEnvironment', () => {
  it('reads git in the background and then answers what describeEnvironment reads: commit, branch, dirty', async () => {
    const dir = repository()
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], {cwd: dir, encoding: 'utf8'}).trim()
    const clean = readEnvironment(dir, {})
    await clean.ready
    expect(clean.now().git).toEqual({branch: 'trunk', commit, dirty: false})
    expect(clean.now()).toEqual(describeEnvironment(dir, {}))

    writeFileSync(path.join(dir, 'a.txt'), 'changed')
    const dirty = readEnvironment(dir, {CI: 'true'})
    // Asked before git has answered (an interrupted run), it reads git at once.
    expect(dirty.now()).toMatchObject({ci: true, git: {branch: 'trunk', commit, dirty: true}})
    await dirty.ready
    expect(dirty.now().git).toEqual({branch: 'trunk', commit, dirty: true})

    execFileSync('git', ['checkout', '-q', '.'], {cwd: dir})
    execFileSync('git', ['checkout', '-q', '--detach'], {cwd: dir})
    expect(describeEnvironment(dir, {}).git).toEqual({branch: null, commit, dirty: false})
  })

  it('has no git state outside a repository, nor in one without a commit', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-env-'))
    dirs.push(dir)
    const environment = readEnvironment(dir, {})
    await environment.ready
    expect(environment.now().git).toBeNull()
    execFileSync('git', ['init', '-q'], {cwd: dir})
    expect(describeEnvironment(dir, {}).git).toBeNull()
  })

  it('reads git from a folder inside a repository, also through a link from outside it', async () => {
    const dir = repository()
    mkdirSync(path.join(dir, 'gates', 'deep'), {recursive: true})
    const environment = readEnvironment(path.join(dir, 'gates', 'deep'), {})
    await environment.ready
    expect(environment.now().git).toMatchObject({branch: 'trunk', dirty: false})
    const outside = mkdtempSync(path.join(os.tmpdir(), 'phasegate-env-'))
    dirs.push(outside)
    symlinkSync(path.join(dir, 'gates', 'deep'), path.join(outside, 'link'))
    const linked = readEnvironment(path.join(outside, 'link'), {})
    await linked.ready
    expect(linked.now().git).toMatchObject({branch: 'trunk', dirty: false})
  })

  it('outside a repository does not start git at all', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-env-'))
    dirs.push(dir)
    // A git first on PATH that leaves a mark when started.
    const bin = path.join(dir, 'bin')
    mkdirSync(bin)
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\ntouch "${path.join(dir, 'started')}"\nexit 128\n`)
    chmodSync(path.join(bin, 'git'), 0o755)
    const before = process.env.PATH
    process.env.PATH = `${bin}${path.delimiter}${before}`
    try {
      const project = path.join(dir, 'project')
      mkdirSync(project)
      const environment = readEnvironment(project, {})
      await environment.ready
      expect(environment.now().git).toBeNull()
      expect(describeEnvironment(project, {}).git).toBeNull()
      expect(existsSync(path.join(dir, 'started'))).toBe(false)
      // The same git is started where there is a repository to read.
      mkdirSync(path.join(project, '.git'))
      describeEnvironment(project, {})
      expect(existsSync(path.join(dir, 'started'))).toBe(true)
    } finally {
      process.env.PATH = before
    }
  })
})
