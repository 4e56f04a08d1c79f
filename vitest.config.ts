import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // CLI integration tests spawn processes and servers; keep them from starving each other on 2 cores.
    poolOptions: {forks: {singleFork: false, maxForks: 2}},
    pool: 'forks',
  },
})
