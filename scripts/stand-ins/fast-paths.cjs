// Calls that oclif makes on every start, answered without loading the package when the answer is certain; anything
// else goes to the package itself. test/unit/stand-ins.test.ts holds each to the package's own answers.

const EJS_OPTIONS_IN_DATA = ['delimiter', 'openDelimiter', 'closeDelimiter', 'rmWhitespace']

/** ejs: help renders every description as a template; a text with no tag (`<%`, `%>`) renders as itself. */
exports.ejs = (load) => ({
  render(template, data, ...rest) {
    const plain =
      typeof template === 'string' &&
      !template.includes('<%') &&
      !template.includes('%>') &&
      !EJS_OPTIONS_IN_DATA.some((option) => data?.[option] !== undefined)
    return plain ? template : load().render(template, data, ...rest)
  },
})

/** An npm package name: no glob syntax, no leading `!`, `#` or `.`, at most one `/` after a scope. */
const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i

/** minimatch: oclif matches each dependency against each core plugin's name; a name matches only itself. */
exports.minimatch = (load) => ({
  minimatch: (path, pattern, ...options) =>
    options.length === 0 && typeof path === 'string' && PACKAGE_NAME.test(pattern)
      ? path === pattern
      : load().minimatch(path, pattern, ...options),
})

/**
 * oclif sorts each plugin's commands with localeCompare, whose first call sets up an ICU collator (~8 ms of every
 * start). For ids of lowercase letters, digits, `:` and `-` the collator's order is the order of these ranks (CLDR
 * root: punctuation, then digits, then letters), a shorter id first where one begins the other; other ids ask it.
 */
const ID_ORDER = '-:0123456789abcdefghijklmnopqrstuvwxyz'
const SIMPLE_ID = /^[-:0-9a-z]*$/

exports.compareIds = (a, b) => {
  if (!SIMPLE_ID.test(a) || !SIMPLE_ID.test(b)) return a.localeCompare(b)
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = ID_ORDER.indexOf(a[i]) - ID_ORDER.indexOf(b[i])
    if (order !== 0) return Math.sign(order)
  }
  return Math.sign(a.length - b.length)
}
