// Which Node runs gate is checked before anything else loads: on an older Node a missing API (node:sqlite for the
// history, process.getBuiltinModule) or a native addon built for another Node (the db validator's better-sqlite3)
// fails as a crash far from the cause.

/**
 * The message for a Node older than the `engines.node` range of package.json (">=MAJOR.MINOR.PATCH"), or undefined
 * when this Node is recent enough.
 */
export function unsupportedNode(version, range) {
  const wanted = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim())
  if (!wanted) throw new Error(`package.json engines.node is "${range}"; bin/engines.js reads only ">=X.Y.Z"`)
  const have = version.replace(/^v/, '').split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const need = Number(wanted[i + 1])
    if (have[i] > need) return undefined
    if (have[i] < need) {
      return (
        `gate needs Node.js ${range.trim()}; this is Node.js ${version.replace(/^v/, '')} (${process.execPath}).\n` +
        'Install Node 24 LTS (https://nodejs.org, or nvm/fnm/volta), then run gate with it.'
      )
    }
  }
  return undefined
}
