// What the bundle puts where oclif requires a package or builtin it rarely calls (scripts/bundle.mjs): an object that
// requires the real one on first use. `own` answers some properties without loading it (fast-paths.cjs).
module.exports = function onFirstUse(load, own = {}) {
  return new Proxy(
    {},
    {
      // __importDefault asks for __esModule as it requires: answered without loading (none of them sets it).
      get: (_, key) => (key === '__esModule' ? undefined : Object.hasOwn(own, key) ? own[key] : load()[key]),
      getOwnPropertyDescriptor(_, key) {
        const descriptor = Object.getOwnPropertyDescriptor(load(), key)
        return descriptor && {...descriptor, configurable: true}
      },
      has: (_, key) => key in load(),
      ownKeys: () => Reflect.ownKeys(load()),
    },
  )
}
