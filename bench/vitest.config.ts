import { defineConfig } from 'vitest/config'

// Only the bench's own unit tests (the wire helpers); the benchmarks themselves are never tests.
export default defineConfig({
  test: {
    name: '@collab/bench',
    include: ['src/**/*.test.ts'],
  },
})
