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
