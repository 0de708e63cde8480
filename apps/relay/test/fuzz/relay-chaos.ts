// Relay kills and restarts that run alongside the clients' actions (edits keep happening while
// the relay stops, is down and boots), serialized so a restart never overtakes its kill.
import type { RelayProcess } from '../process/relay-process'
import type { RelaySignal } from './plan'

export class RelayChaos {
  sigkills = 0
  sigterms = 0
  /** Things the relay did wrong while being stopped or started (e.g. SIGTERM exit code ≠ 0). */
  readonly problems: string[] = []
  private chain: Promise<void> = Promise.resolve()
  private wantedUp = true

  constructor(private readonly relay: RelayProcess) {}

  /** Whether the relay should be running once queued operations finished. */
  get up(): boolean {
    return this.wantedUp
  }

  kill(signal: RelaySignal): void {
    if (!this.wantedUp) return
    this.wantedUp = false
    if (signal === 'SIGKILL') this.sigkills++
    else this.sigterms++
    this.enqueue(`${signal}`, async () => {
      const status = await this.relay.kill(signal)
      if (signal === 'SIGTERM' && status.code !== 0) {
        this.problems.push(`relay exited with code ${status.code} (signal ${status.signal}) after SIGTERM; expected a clean 0`)
      }
    })
  }

  restart(): void {
    if (this.wantedUp) return
    this.wantedUp = true
    this.enqueue('restart', () => this.relay.restart())
  }

  /** Waits for every queued kill and restart. */
  async settle(): Promise<void> {
    await this.chain
  }

  private enqueue(what: string, operation: () => Promise<void>): void {
    this.chain = this.chain.then(operation).catch((error: unknown) => {
      this.problems.push(`relay ${what} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
    })
  }
}
