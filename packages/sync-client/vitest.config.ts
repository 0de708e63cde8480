import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    environment: 'node',
    // Integration tests poll with 5 s deadlines of their own; leave room so those report first.
    testTimeout: 15_000,
  },
})
