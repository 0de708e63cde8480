import { defineProject } from 'vitest/config'

// Only the bench's own unit tests (the wire helpers); the benchmarks themselves are never tests.
export default defineProject({
  test: {
    name: '@collab/bench',
    include: ['src/**/*.test.ts'],
  },
})
