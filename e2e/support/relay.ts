// Playwright fixtures that give every test a system to talk to: a real relay started by this
// run (shared by the tests of a worker, or one per test for tests that crash it), or an already
// running deployment named by E2E_BASE_URL.
import { writeFileSync } from 'node:fs'
import { test as base, type TestInfo } from '@playwright/test'
import { RelayProcess } from './relay-process'

/** Set to target an already running deployment instead of starting a relay. */
export const externalBaseUrl: string | null = process.env.E2E_BASE_URL?.replace(/\/+$/, '') || null

/** Reason shown for tests that need to stop or crash the relay. */
export const NEEDS_OWN_RELAY =
  'E2E_BASE_URL targets a deployment this run did not start, so it cannot stop or restart it'

/** What a test talks to. `relay` is null when the target is an external deployment. */
export interface Target {
  baseUrl: string
  relay: RelayProcess | null
}

/** A relay started on first use, so workers that only run per-test-relay specs start none. */
class LazyRelay {
  private started: Promise<RelayProcess> | null = null

  get(): Promise<RelayProcess> {
    this.started ??= RelayProcess.start()
    return this.started
  }

  async dispose(): Promise<void> {
    const relay = await this.started?.catch(() => null)
    await relay?.dispose()
  }
}

export interface RelayTestOptions {
  /** Start a relay for this test alone (tests that stop or crash it). Default: shared per worker. */
  relayPerTest: boolean
  /** Extra environment of a per-test relay (e.g. an opt-in setting); needs `relayPerTest`. */
  relayEnv: Record<string, string>
}

export interface RelayTestFixtures {
  target: Target
  /** The relay this run started for the test; skips the test when targeting E2E_BASE_URL. */
  relay: RelayProcess
}

interface RelayWorkerFixtures {
  sharedRelay: LazyRelay
}

/** Writes what the relay printed during the test next to the test's output and attaches it. */
async function attachRelayLogOnFailure(testInfo: TestInfo, relay: RelayProcess, fromOffset: number): Promise<void> {
  if (testInfo.status === testInfo.expectedStatus) return
  const file = testInfo.outputPath('relay.log')
  writeFileSync(file, relay.logSince(fromOffset))
  await testInfo.attach('relay-log', { path: file, contentType: 'text/plain' })
}

export const relayTest = base.extend<RelayTestOptions & RelayTestFixtures, RelayWorkerFixtures>({
  relayPerTest: [false, { option: true }],
  relayEnv: [{}, { option: true }],

  sharedRelay: [
    async ({}, use) => {
      const relay = new LazyRelay()
      await use(relay)
      await relay.dispose()
    },
    { scope: 'worker' },
  ],

  target: async ({ relayPerTest, relayEnv, sharedRelay }, use, testInfo) => {
    if (externalBaseUrl !== null) {
      await use({ baseUrl: externalBaseUrl, relay: null })
      return
    }
    if (!relayPerTest && Object.keys(relayEnv).length > 0) throw new Error('relayEnv needs relayPerTest: true')
    const relay = relayPerTest ? await RelayProcess.start({ env: relayEnv }) : await sharedRelay.get()
    if (!relay.running) await relay.start()
    const logOffset = relay.logOffset
    try {
      await use({ baseUrl: relay.baseUrl, relay })
    } finally {
      await attachRelayLogOnFailure(testInfo, relay, logOffset)
      if (relayPerTest) await relay.dispose()
    }
  },

  relay: async ({ target }, use) => {
    relayTest.skip(target.relay === null, NEEDS_OWN_RELAY)
    await use(target.relay as RelayProcess)
  },

  baseURL: async ({ target }, use) => {
    await use(target.baseUrl)
  },
})
