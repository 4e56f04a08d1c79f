import {defineConfig} from 'vitest/config'

// Tests whose verdicts rest on CPU-bound times or memory growth of real processes — a baseline run against a
// later one, scaling across batches, a leak against a flat line — run one at a time after everything else:
// on 2 cores another test file beside them moved a Node boot by 50% and hid a leak's rising quarters.
const ALONE = [
  'test/integration/phase2.test.ts',
  'test/integration/memory.test.ts',
  'test/integration/memory-gate.test.ts',
  'test/integration/scaling.test.ts',
  'test/integration/scaling-gate.test.ts',
]

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CLI integration tests spawn processes and servers; keep them from starving each other on 2 cores.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {name: 'shared', include: ['test/**/*.test.ts'], exclude: ALONE, sequence: {groupOrder: 0}},
      },
      // One fork runs these files one after another, and only once every shared file has finished.
      {
        extends: true,
        test: {name: 'alone', include: ALONE, fileParallelism: false, sequence: {groupOrder: 1}},
      },
    ],
  },
})
