// What the process tests share: a per-test harness that owns relays and clients, cleans them up
// when the test finishes, and prints the relays' output only when the test failed.
import { randomUUID } from 'node:crypto'
import type { TestContext } from 'vitest'
import { StockClient, type ClientOptions } from './clients'
import { RelayProcess, type RelayOptions } from './relay-process'

export { StockClient, applyPatches, textName } from './clients'
export { RelayProcess, freePort, httpGet, type ExitStatus } from './relay-process'
export { loadTrace, replayString, type EditingTrace } from './trace'
export { randomInt, seedFromEnv, seededRandom, sleep, waitFor, yieldToEventLoop } from './wait'

/** A doc id that no other test (or earlier run against the same dir) uses. */
export function uniqueDocId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

/** Relays and clients of one test; everything is torn down in `onTestFinished`. */
export class ProcessHarness {
  private readonly relays: RelayProcess[] = []
  private readonly clients: StockClient[] = []
  private readonly notes: string[] = []

  async startRelay(options: RelayOptions = {}): Promise<RelayProcess> {
    const relay = await RelayProcess.start(options)
    this.relays.push(relay)
    return relay
  }

  client(relay: RelayProcess, docId: string, options: ClientOptions = {}): StockClient {
    const client = new StockClient(relay.syncUrl, docId, options)
    this.clients.push(client)
    return client
  }

  /** A line printed with the relay output if the test fails (e.g. the seed). */
  note(line: string): void {
    this.notes.push(line)
  }

  /** Everything worth reading when the test failed. */
  failureReport(): string {
    const parts = [...this.notes]
    for (const relay of this.relays) {
      parts.push(`===== relay port ${relay.port}, DATA_DIR ${relay.dataDir} =====`, relay.output())
    }
    return parts.join('\n')
  }

  async dispose(): Promise<void> {
    for (const client of this.clients.splice(0)) client.destroy()
    for (const relay of this.relays.splice(0)) await relay.dispose()
  }
}

/** Creates a harness bound to the running test: output on failure, cleanup when it ends. */
export function processHarness(context: TestContext): ProcessHarness {
  const harness = new ProcessHarness()
  context.onTestFailed(() => {
    // The only console output of these tests: what the relay said, when something went wrong.
    console.error(harness.failureReport())
  })
  context.onTestFinished(async () => {
    // Opt-in, for looking at a passing run: PROCESS_TESTS_VERBOSE=1.
    if (process.env['PROCESS_TESTS_VERBOSE'] === '1' && context.task.result?.state !== 'fail') {
      console.error(harness.failureReport())
    }
    await harness.dispose()
  })
  return harness
}
