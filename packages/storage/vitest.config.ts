import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'storage',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The trace replays and SQLite fsyncs are slow on a shared 2-core machine.
    testTimeout: 60_000,
  },
})
