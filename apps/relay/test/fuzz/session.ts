// One fuzz session (one seed): simulated clients edit one document through fault-injecting
// proxies while the relay is killed and restarted (chaos); then, on a slow but stable network,
// they edit on, sometimes through one more crash (calm); then every fault heals and the replicas
// must converge, keep every marker, and a fresh client must load the same state from storage.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { RelayProcess } from '../process/relay-process'
import { WaitTimeoutError, sleep, waitFor } from '../process/wait'
import { describeStateVector, differences, divergences, markerProblems, observe, type Observation } from './convergence'
import { FaultProxy, injectedFaults } from './fault-proxy'
import { ACTION_WEIGHTS, drawPlan, type ActionKind, type SessionPlan, type SessionSettings } from './plan'
import { Random } from './random'
import { RelayChaos } from './relay-chaos'
import { requestSavedStateVector } from './saved-probe'
import { closeCodeProblems, relayErrors, sumCounts, writeReportFile, type SessionReport } from './session-report'
import { SimClient } from './sim-client'

export type { SessionReport } from './session-report'

export interface SessionOptions {
  seed: number
  settings: SessionSettings
  /** A long-lived relay to use (soak); no kills or restarts then. Default: start one per seed. */
  sharedRelay?: RelayProcess
  /** Extra relay environment (per-seed relays only). */
  relayEnv?: Record<string, string>
  /** Write the report file even when the seed passed. */
  keepReport?: boolean
}

const FRESH_LOAD_TIMEOUT_MS = 15_000
const SAVED_ANSWER_TIMEOUT_MS = 10_000

/** Runs one seed end to end; never throws: whatever went wrong is in `problems`. */
export async function runSession(options: SessionOptions): Promise<SessionReport> {
  const startedMs = Date.now()
  const dataDir = options.sharedRelay === undefined ? mkdtempSync(path.join(os.tmpdir(), `relay-fuzz-${options.seed}-`)) : null
  const root = new Random(options.seed)
  const plan = drawPlan(root.fork('plan'), options.settings)
  const relay =
    options.sharedRelay ??
    (await RelayProcess.start({ dataDir: dataDir!, env: { LOG_LEVEL: 'info', ...plan.relayEnv, ...options.relayEnv } }))
  const session = new Session(options, plan, root, relay)
  try {
    await session.run()
  } catch (error) {
    if (error instanceof WaitTimeoutError) session.problems.push(error.message)
    else session.problems.push(`session crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  } finally {
    await session.dispose()
    if (options.sharedRelay === undefined) await relay.dispose()
  }
  const report = session.report(startedMs)
  report.problems.push(...relayErrors(relay, startedMs))
  if (report.problems.length > 0 || options.keepReport === true) {
    report.reportFile = writeReportFile(report, session.trace, relay.output(), report.problems.length > 0 ? dataDir : null)
  }
  if (report.problems.length === 0 && dataDir !== null) rmSync(dataDir, { recursive: true, force: true })
  return report
}

class Session {
  readonly problems: string[] = []
  readonly trace: string[] = []
  private readonly actions: Random
  private readonly docId: string
  private readonly chaos: RelayChaos
  private readonly proxies: FaultProxy[] = []
  /** The clients in play; index = proxy slot for the first `clientCount`, reopened tabs after. */
  private readonly clients: SimClient[] = []
  private readonly everyClient: SimClient[] = []
  /** States of tabs replaced by a fresh one, reopened when the chaos ends. */
  private readonly parked: Array<{ slot: number; state: Uint8Array }> = []
  private readonly generations: number[] = []
  private replacements = 0
  private stepsTaken = 0
  private syncedMs = 0
  private convergeMs = 0

  constructor(
    private readonly options: SessionOptions,
    private readonly plan: SessionPlan,
    private readonly root: Random,
    private readonly relay: RelayProcess,
  ) {
    this.actions = root.fork('actions')
    this.docId = `fuzz-${options.seed}`
    this.chaos = new RelayChaos(relay)
  }

  private get ownsRelay(): boolean {
    return this.options.sharedRelay === undefined
  }

  private get settings(): SessionSettings {
    return this.options.settings
  }

  async run(): Promise<void> {
    const { plan } = this
    this.note(`seed ${this.options.seed}: ${plan.clientCount} clients, ${plan.steps} steps, kills ${JSON.stringify(plan.kills)}, env ${JSON.stringify(plan.relayEnv)}`)
    for (let slot = 0; slot < plan.clientCount; slot++) {
      this.proxies.push(await FaultProxy.start({ targetPort: this.relay.port, random: this.root.fork(`proxy-${slot}`), profile: this.settings.profile }))
      this.generations.push(0)
      this.addClient(new SimClient({ label: `c${slot}g0`, serverUrl: this.proxyUrl(slot), docId: this.docId }), null)
    }
    await this.chaosPhase()
    await this.calmPhase()
    const reference = await this.converge()
    if (reference !== null && this.problems.length === 0) await this.checkStorage(reference)
  }

  /** Random actions with every fault on, relay kills spaced so clients reconnect in between. */
  private async chaosPhase(): Promise<void> {
    const { plan, chaos } = this
    let killIndex = 0
    let stepsUp = 0
    let restartAtStep = Number.POSITIVE_INFINITY
    for (let step = 0; step < plan.steps; step++) {
      const kill = plan.kills[killIndex]
      if (this.ownsRelay && kill !== undefined && chaos.up && stepsUp >= kill.afterSteps) {
        killIndex++
        this.note(`#${step} relay ${kill.signal}, down for ${kill.downSteps} steps`)
        chaos.kill(kill.signal)
        restartAtStep = step + kill.downSteps
      }
      if (!chaos.up && step >= restartAtStep) {
        // Edits go on while the relay stops and is down (offline edits); its ~1 s boot is
        // waited for, so that the session spends its actions mostly with a relay to talk to.
        this.note(`#${step} relay restart`)
        chaos.restart()
        await chaos.settle()
        this.note(`#${step} relay ready`)
        stepsUp = 0
      }
      if (chaos.up) stepsUp++
      this.act(`#${step}`)
      await this.pause()
    }
  }

  private act(at: string): void {
    const { actions } = this
    const kind = actions.weighted<ActionKind>(ACTION_WEIGHTS)
    const slot = actions.int(0, this.plan.clientCount - 1)
    const detail = this.detailRandom()
    const client = this.clients[slot]!
    this.stepsTaken++
    switch (kind) {
      case 'edit':
        this.note(`${at} ${client.label} ${client.edit(detail)}`)
        return
      case 'marker':
        this.note(`${at} ${client.label} marker ${client.insertMarker(detail)}`)
        return
      case 'offline':
        this.note(`${at} ${client.label} offline`)
        client.goOffline()
        return
      case 'online':
        this.note(`${at} ${client.label} online`)
        client.goOnline()
        return
      case 'replace': {
        // 'resume': the tab reloads and its local store (IndexedDB) brings the state back.
        // 'fresh': a new tab that loads from the relay; the old tab's state is parked and
        // reopened at the end (a laptop that comes back online), so no edit is dropped.
        const resume = actions.bool(0.5)
        const state = client.destroy()
        this.generations[slot]! += 1
        const label = `c${slot}g${this.generations[slot]}`
        if (!resume) this.parked.push({ slot, state })
        const initialState = resume ? state : undefined
        this.addClient(new SimClient({ label, serverUrl: this.proxyUrl(slot), docId: this.docId, initialState }), slot)
        this.replacements++
        this.note(`${at} ${client.label} replaced by ${label} (${resume ? 'resume from local state' : 'fresh, old state parked'})`)
        return
      }
      case 'reset': {
        const rst = actions.bool(0.7)
        this.note(`${at} proxy ${slot} reset all (${rst ? 'RST' : 'FIN'})`)
        this.proxies[slot]!.resetAll(rst ? 'rst' : 'fin')
        return
      }
      case 'stall': {
        const stallMs = actions.int(50, 1_000)
        this.note(`${at} proxy ${slot} stall ${stallMs} ms`)
        this.proxies[slot]!.stallAll(stallMs)
        return
      }
      default: {
        const unexpected: never = kind
        throw new Error(`Unknown action ${String(unexpected)}`)
      }
    }
  }

  /**
   * A slow but stable network (delays, no stalls or resets), everyone online, parked tabs
   * reopened; edits and markers go on, sometimes through one more SIGKILL. A fan-out lost here
   * is not repaired by a later reconnect, so it shows at the end.
   */
  private async calmPhase(): Promise<void> {
    const { plan, chaos, actions, clients } = this
    this.note('calm')
    chaos.restart()
    await chaos.settle()
    for (const proxy of this.proxies) proxy.calm()
    for (const client of clients) client.goOnline()
    this.parked.forEach(({ slot, state }, index) => {
      this.addClient(new SimClient({ label: `c${slot}p${index}`, serverUrl: this.proxyUrl(slot), docId: this.docId, initialState: state }), null)
    })
    const calmAtMs = Date.now()
    await waitFor(() => clients.every((client) => client.synced), {
      timeoutMs: this.settings.convergeTimeoutMs,
      message: () => `every client connected and synced once calm (${this.describeClients()})`,
    })
    this.syncedMs = Date.now() - calmAtMs
    const crash = this.ownsRelay ? plan.calmCrash : null
    this.note(`all synced after ${this.syncedMs} ms; ${plan.calmSteps} calm steps, crash ${JSON.stringify(crash)}`)
    const steps = crash === null ? plan.calmSteps : Math.max(plan.calmSteps, crash.atStep + crash.downSteps + crash.bootSteps + crash.afterSteps)
    for (let step = 0; step < steps; step++) {
      if (crash !== null && step === crash.atStep) {
        this.note(`calm#${step} relay SIGKILL`)
        chaos.kill('SIGKILL')
      }
      if (crash !== null && step === crash.atStep + crash.downSteps) {
        this.note(`calm#${step} relay restart`)
        chaos.restart()
      }
      if (crash !== null && step === crash.atStep + crash.downSteps + crash.bootSteps) {
        // Typing went on while it booted; from here on clients reconnect while typing.
        await chaos.settle()
        this.note(`calm#${step} relay ready`)
      }
      this.stepsTaken++
      const client = actions.pick(clients)
      const marker = actions.bool(0.15)
      const detail = this.detailRandom()
      if (marker) this.note(`calm#${step} ${client.label} marker ${client.insertMarker(detail)}`)
      else this.note(`calm#${step} ${client.label} ${client.edit(detail)}`)
      await this.pause()
    }
  }

  /** Heals everything, waits for identical replicas; returns the reference observation. */
  private async converge(): Promise<Observation | null> {
    const { clients } = this
    this.note('heal')
    this.chaos.restart()
    await this.chaos.settle()
    for (const proxy of this.proxies) proxy.heal()
    const lastEditAtMs = Date.now()
    let observations: Observation[] = []
    const converged = (): boolean => {
      if (!clients.every((client) => client.synced)) return false
      observations = clients.map((client) => observe(client.label, client.doc))
      return divergences(observations).length === 0
    }
    try {
      await waitFor(converged, { timeoutMs: this.settings.convergeTimeoutMs, message: 'convergence', intervalMs: 50 })
      this.convergeMs = Date.now() - lastEditAtMs
      this.note(`converged after ${this.convergeMs} ms`)
    } catch {
      observations = clients.map((client) => observe(client.label, client.doc))
      this.problems.push(`no convergence within ${this.settings.convergeTimeoutMs} ms after healing (${this.describeClients()})`)
      this.problems.push(...divergences(observations))
    }
    const written = this.writtenMarkers()
    for (const observation of observations) this.problems.push(...markerProblems(observation.label, observation.text, written))
    this.problems.push(...this.chaos.problems)
    return observations[0] ?? null
  }

  /**
   * What the relay says is saved must be the converged state; after it stops (with the clients
   * still connected, and gone before it restarts) a fresh client must load exactly that.
   */
  private async checkStorage(reference: Observation): Promise<void> {
    const { relay } = this
    const saved = describeStateVector(await requestSavedStateVector(relay.syncUrl, this.docId, SAVED_ANSWER_TIMEOUT_MS))
    if (saved !== reference.stateVector) {
      this.problems.push(`relay's saved state vector ${JSON.stringify(saved)} differs from the converged ${JSON.stringify(reference.stateVector)}`)
    }
    if (this.ownsRelay) {
      const { finalStop } = this.plan
      this.note(`final stop: ${finalStop}`)
      const status = await relay.kill(finalStop === 'SIGTERM' ? 'SIGTERM' : 'SIGKILL')
      if (finalStop === 'SIGTERM' && status.code !== 0) this.problems.push(`final SIGTERM: relay exited with code ${status.code}`)
      for (const client of this.clients) client.destroy()
      await relay.restart()
    } else {
      for (const client of this.clients) client.destroy()
      // Time for the room to unload, so the fresh client (usually) loads from storage.
      await sleep(Number(this.options.relayEnv?.['ROOM_UNLOAD_DELAY_MS'] ?? 2_000) + 500)
    }
    const fresh = new SimClient({ label: 'fresh-after-restart', serverUrl: relay.syncUrl, docId: this.docId })
    this.everyClient.push(fresh)
    try {
      await waitFor(() => fresh.synced, { timeoutMs: FRESH_LOAD_TIMEOUT_MS, message: 'fresh client synced' })
      // Compared the moment it is synced: sync step 2 carries the whole stored document.
      const observed = observe(fresh.label, fresh.doc)
      this.problems.push(...differences(reference, observed), ...markerProblems(fresh.label, observed.text, this.writtenMarkers()))
    } catch (error) {
      this.problems.push(`fresh client could not load the document: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  async dispose(): Promise<void> {
    for (const client of this.everyClient) client.destroy()
    for (const proxy of this.proxies) await proxy.close()
  }

  report(startedMs: number): SessionReport {
    const closeCodes: Record<string, number> = {}
    for (const code of this.everyClient.flatMap((client) => client.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + 1
    const faultCounts = sumCounts(this.proxies.map((proxy) => proxy.counts))
    return {
      seed: this.options.seed,
      docId: this.docId,
      clients: this.plan.clientCount,
      clientInstances: this.everyClient.length,
      actions: this.stepsTaken,
      edits: this.everyClient.reduce((sum, client) => sum + client.edits, 0),
      markers: this.everyClient.reduce((sum, client) => sum + client.markers.length, 0),
      faults: injectedFaults(faultCounts),
      faultCounts,
      relaySigkills: this.chaos.sigkills,
      relaySigterms: this.chaos.sigterms,
      replacements: this.replacements,
      finalStop: this.ownsRelay ? this.plan.finalStop : 'none (shared relay)',
      syncedMs: this.syncedMs,
      convergeMs: this.convergeMs,
      durationMs: Date.now() - startedMs,
      closeCodes,
      relayEnv: this.ownsRelay ? this.plan.relayEnv : {},
      problems: [...this.problems, ...closeCodeProblems(closeCodes)],
      reportFile: null,
    }
  }

  /**
   * A stream for one edit's details. Positions and lengths depend on the document, which depends
   * on network timing; drawing them from a per-step stream keeps the action stream itself (which
   * client does what, when the relay dies) identical on every run of the seed.
   */
  private detailRandom(): Random {
    return new Random(this.actions.nextUint32())
  }

  private note(line: string): void {
    this.trace.push(`${new Date().toISOString().slice(11, 23)} ${line}`)
  }

  private async pause(): Promise<void> {
    const pauseMs = this.actions.int(0, this.settings.maxPauseMs)
    if (pauseMs > 0) await sleep(pauseMs)
    else await new Promise((resolve) => setImmediate(resolve))
  }

  private proxyUrl(slot: number): string {
    return `ws://127.0.0.1:${this.proxies[slot]!.port}/sync`
  }

  private addClient(client: SimClient, slot: number | null): void {
    this.everyClient.push(client)
    if (slot === null) this.clients.push(client)
    else this.clients[slot] = client
  }

  private writtenMarkers(): Set<string> {
    return new Set(this.everyClient.flatMap((client) => client.markers))
  }

  private describeClients(): string {
    return this.clients.map((c) => `${c.label}: ${c.connected ? 'connected' : 'disconnected'}${c.synced ? ', synced' : ''}`).join('; ')
  }
}
