import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: '@collab/relay',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds dist/ (what `pnpm start` runs) for the process-level suites.
    globalSetup: ['test/global-setup.ts'],
    // Integration tests use real sockets and SQLite on a shared 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
