import { defineConfig } from 'vitest/config'

// Unit tests of the app's pure modules (routing, ids, lists, status text). Browser flows are in e2e/.
export default defineConfig({
  test: {
    name: 'web',
    include: ['src/**/*.test.ts', 'build/**/*.test.ts'],
    environment: 'node',
  },
})
