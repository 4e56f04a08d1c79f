// What bin/run.js starts once it has checked the Node version: written for current Node only.
// A builtin by getBuiltinModule, not import: an ES module's import of one builds a facade that reads every export.
const module = process.getBuiltinModule('node:module')

// Node keeps the compiled code of the bundle on disk (in the OS temp dir), so the next start skips parsing it.
module.enableCompileCache?.()

// Plugins run from their compiled dist/ by design, so oclif's warning on every command that a linked ESM plugin
// "cannot be auto-transpiled" tells a plugin author nothing; OCLIF_DISABLE_LINKED_ESM_WARNING=false shows it.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= 'true'
// oclif checks Node against its own engines (>= 18, looser than ours) with semver, loaded for that alone (~8 ms).
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'

// A reader that stops early (`gate --help | head`) closes the pipe. What is left to print has nowhere to go, so it is
// dropped and the command ends as it would have; oclif's flush waited for a drain that never came (exit 13).
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error
  process.stdout.write = (_chunk, encoding, callback) => {
    ;(typeof encoding === 'function' ? encoding : callback)?.()
    return true
  }
  // Whoever waits for the buffer to drain (oclif's flush) waits no more: it is gone.
  process.stdout.emit('drain')
})

// The bundle that `npm run compile` builds (scripts/bundle.mjs): the commands, hooks and bundled plugins of dist/ in a
// few files, run with a code cache per command.
const {command, load} = await import('../dist/bundle/start.js')
await load('cli.cjs').main(command)
