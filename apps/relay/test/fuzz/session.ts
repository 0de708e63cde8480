// One fuzz session (one seed): M simulated clients edit one document through fault-injecting
// proxies while the relay is killed and restarted; then every fault heals, the clients must
// converge, and a fresh client must load the same state from the relay's storage.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { RelayProcess } from '../process/relay-process'
import { WaitTimeoutError, sleep, waitFor } from '../process/wait'
import { describeStateVector, differences, divergences, markerProblems, observe, type Observation } from './convergence'
import { FaultProxy, injectedFaults, type FaultCounts } from './fault-proxy'
import { ACTION_WEIGHTS, drawPlan, type ActionKind, type FinalStop, type SessionSettings } from './plan'
import { Random } from './random'
import { RelayChaos } from './relay-chaos'
import { requestSavedStateVector } from './saved-probe'
import { SimClient } from './sim-client'

export interface SessionReport {
  seed: number
  docId: string
  clients: number
  /** Every SimClient created: initial ones, replacements, revived tabs. */
  clientInstances: number
  actions: number
  edits: number
  markers: number
  faults: number
  faultCounts: FaultCounts
  relaySigkills: number
  relaySigterms: number
  replacements: number
  finalStop: FinalStop | 'none (shared relay)'
  /** From the end of the chaos (calm network, relay up) until every client was connected and synced. */
  syncedMs: number
  /** From the last edit (after the calm phase) until every replica was identical. */
  convergeMs: number
  /** Every close code the relay sent, with counts. */
  closeCodes: Record<string, number>
  relayEnv: Record<string, string>
  /** Empty when the seed passed; each entry names a divergence, a loss or a relay misbehaviour. */
  problems: string[]
  /** Written on failure (or with `keepReport`): trace, problems and relay output. */
  reportFile: string | null
}

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

const CLOSE_CODES_THAT_ARE_BUGS = (code: number): boolean => (code >= 4400 && code < 4500) || code === 1011
const FRESH_LOAD_TIMEOUT_MS = 15_000

export async function runSession(options: SessionOptions): Promise<SessionReport> {
  const { seed, settings, sharedRelay } = options
  const sessionStartMs = Date.now()
  const root = new Random(seed)
  const plan = drawPlan(root.fork('plan'), settings)
  const actions = root.fork('actions')
  const docId = `fuzz-${seed}`
  const trace: string[] = []
  const note = (line: string): void => {
    trace.push(`${new Date().toISOString().slice(11, 23)} ${line}`)
  }

  const dataDir = sharedRelay === undefined ? mkdtempSync(path.join(os.tmpdir(), `relay-fuzz-${seed}-`)) : null
  const relay =
    sharedRelay ??
    (await RelayProcess.start({ dataDir: dataDir!, env: { LOG_LEVEL: 'info', ...plan.relayEnv, ...options.relayEnv } }))
  const chaos = new RelayChaos(relay)
  const proxies: FaultProxy[] = []
  const clients: SimClient[] = []
  const everyClient: SimClient[] = []
  const parked: Array<{ slot: number; state: Uint8Array }> = []
  const problems: string[] = []
  let replacements = 0
  let syncedMs = 0
  let calmStepsTaken = 0
  let convergeMs = 0
  let finalStop: SessionReport['finalStop'] = sharedRelay === undefined ? plan.finalStop : 'none (shared relay)'

  const proxyUrl = (slot: number): string => `ws://127.0.0.1:${proxies[slot]!.port}/sync`
  const addClient = (client: SimClient, slot: number | null): SimClient => {
    everyClient.push(client)
    if (slot === null) clients.push(client)
    else clients[slot] = client
    return client
  }

  try {
    note(`seed ${seed}: ${plan.clientCount} clients, ${plan.steps} steps, kills ${JSON.stringify(plan.kills)}, env ${JSON.stringify(plan.relayEnv)}`)
    for (let slot = 0; slot < plan.clientCount; slot++) {
      proxies.push(await FaultProxy.start({ targetPort: relay.port, random: root.fork(`proxy-${slot}`), profile: settings.profile }))
      addClient(new SimClient({ label: `c${slot}g0`, serverUrl: proxyUrl(slot), docId }), null)
    }
    const generations = clients.map(() => 0)

    let killIndex = 0
    let stepsUp = 0
    let restartAtStep = Number.POSITIVE_INFINITY
    for (let step = 0; step < plan.steps; step++) {
      const kill = plan.kills[killIndex]
      if (sharedRelay === undefined && kill !== undefined && chaos.up && stepsUp >= kill.afterSteps) {
        killIndex++
        note(`#${step} relay ${kill.signal}, down for ${kill.downSteps} steps`)
        chaos.kill(kill.signal)
        restartAtStep = step + kill.downSteps
      }
      if (!chaos.up && step >= restartAtStep) {
        // Edits go on while the relay stops and is down (offline edits); its ~1 s boot is
        // waited for, so that the session spends its actions mostly with a relay to talk to.
        note(`#${step} relay restart`)
        chaos.restart()
        await chaos.settle()
        note(`#${step} relay ready`)
        stepsUp = 0
      }
      if (chaos.up) stepsUp++

      const kind = actions.weighted<ActionKind>(ACTION_WEIGHTS)
      const slot = actions.int(0, clients.length - 1)
      const client = clients[slot]!
      switch (kind) {
        case 'edit':
          note(`#${step} ${client.label} ${client.edit(actions)}`)
          break
        case 'marker':
          note(`#${step} ${client.label} marker ${client.insertMarker(actions)}`)
          break
        case 'offline':
          note(`#${step} ${client.label} offline`)
          client.goOffline()
          break
        case 'online':
          note(`#${step} ${client.label} online`)
          client.goOnline()
          break
        case 'replace': {
          // 'resume': the tab reloads and its local store (IndexedDB) brings the state back.
          // 'fresh': a new tab that loads from the relay; the old tab's state is parked and
          // reopened at the end (a laptop that comes back online), so no edit is dropped.
          const resume = actions.bool(0.5)
          const state = client.destroy()
          generations[slot]! += 1
          const label = `c${slot}g${generations[slot]}`
          if (!resume) parked.push({ slot, state })
          addClient(new SimClient({ label, serverUrl: proxyUrl(slot), docId, initialState: resume ? state : undefined }), slot)
          replacements++
          note(`#${step} ${client.label} replaced by ${label} (${resume ? 'resume from local state' : 'fresh, old state parked'})`)
          break
        }
        case 'reset': {
          const rst = actions.bool(0.7)
          note(`#${step} proxy ${slot} reset all (${rst ? 'RST' : 'FIN'})`)
          proxies[slot]!.resetAll(rst ? 'rst' : 'fin')
          break
        }
        case 'stall': {
          const stallMs = actions.int(50, 1_000)
          note(`#${step} proxy ${slot} stall ${stallMs} ms`)
          proxies[slot]!.stallAll(stallMs)
          break
        }
        default: {
          const unexpected: never = kind
          throw new Error(`Unknown action ${String(unexpected)}`)
        }
      }
      const pauseMs = actions.int(0, settings.maxPauseMs)
      if (pauseMs > 0) await sleep(pauseMs)
      else await new Promise((resolve) => setImmediate(resolve))
    }

    // Calm: relay up, a slow but stable network (delays, no stalls or resets), everyone online,
    // parked tabs reopened.
    note('calm')
    chaos.restart()
    await chaos.settle()
    for (const proxy of proxies) proxy.calm()
    for (const client of clients) client.goOnline()
    parked.forEach(({ slot, state }, index) => {
      addClient(new SimClient({ label: `c${slot}p${index}`, serverUrl: proxyUrl(slot), docId, initialState: state }), null)
    })
    const calmAtMs = Date.now()
    await waitFor(() => clients.every((client) => client.synced), {
      timeoutMs: settings.convergeTimeoutMs,
      message: () =>
        `every client connected and synced once calm (${clients.map((c) => `${c.label}: ${c.connected ? 'connected' : 'disconnected'}`).join(', ')})`,
    })
    syncedMs = Date.now() - calmAtMs
    note(`all synced after ${syncedMs} ms; ${plan.calmSteps} calm steps, crash ${JSON.stringify(plan.calmCrash)}`)
    const crash = sharedRelay === undefined ? plan.calmCrash : null
    const calmSteps = crash === null ? plan.calmSteps : Math.max(plan.calmSteps, crash.atStep + crash.downSteps + crash.bootSteps + crash.afterSteps)
    for (let step = 0; step < calmSteps; step++) {
      if (crash !== null && step === crash.atStep) {
        note(`calm#${step} relay SIGKILL`)
        chaos.kill('SIGKILL')
      }
      if (crash !== null && step === crash.atStep + crash.downSteps) {
        note(`calm#${step} relay restart`)
        chaos.restart()
      }
      if (crash !== null && step === crash.atStep + crash.downSteps + crash.bootSteps) {
        await chaos.settle()
        note(`calm#${step} relay ready`)
      }
      calmStepsTaken++
      const client = actions.pick(clients)
      if (actions.bool(0.15)) note(`calm#${step} ${client.label} marker ${client.insertMarker(actions)}`)
      else note(`calm#${step} ${client.label} ${client.edit(actions)}`)
      await sleep(actions.int(0, settings.maxPauseMs))
    }
    note('heal')
    chaos.restart()
    await chaos.settle()
    for (const proxy of proxies) proxy.heal()
    const written = new Set(everyClient.flatMap((client) => client.markers))

    const lastEditAtMs = Date.now()
    let observations: Observation[] = []
    const converged = (): boolean => {
      if (!clients.every((client) => client.synced)) return false
      observations = clients.map((client) => observe(client.label, client.doc))
      return divergences(observations).length === 0
    }
    try {
      await waitFor(converged, { timeoutMs: settings.convergeTimeoutMs, message: 'convergence', intervalMs: 50 })
      convergeMs = Date.now() - lastEditAtMs
      note(`converged after ${convergeMs} ms`)
    } catch {
      observations = clients.map((client) => observe(client.label, client.doc))
      const states = clients.map((c) => `${c.label}: ${c.connected ? 'connected' : 'disconnected'}${c.synced ? ', synced' : ''}`)
      problems.push(`no convergence within ${settings.convergeTimeoutMs} ms after healing (${states.join('; ')})`)
      problems.push(...divergences(observations))
    }
    for (const observation of observations) problems.push(...markerProblems(observation.label, observation.text, written))
    problems.push(...chaos.problems)

    const reference = observations[0]
    if (problems.length === 0 && reference !== undefined) {
      // What the relay says is durable must be what the clients converged on.
      const saved = await requestSaved(relay, docId)
      if (saved !== reference.stateVector) {
        problems.push(`relay's saved state vector ${JSON.stringify(saved)} differs from the converged ${JSON.stringify(reference.stateVector)}`)
      }
      if (sharedRelay === undefined) {
        // Stopped while the clients are still connected, and they are gone before it restarts:
        // whatever the fresh client sees came from storage, not from a client's resync.
        note(`final stop: ${plan.finalStop}`)
        const status = await relay.kill(plan.finalStop === 'SIGTERM' ? 'SIGTERM' : 'SIGKILL')
        if (plan.finalStop === 'SIGTERM' && status.code !== 0) problems.push(`final SIGTERM: relay exited with code ${status.code}`)
        for (const client of clients) client.destroy()
        await relay.restart()
      } else {
        for (const client of clients) client.destroy()
        // Give the room time to unload so the fresh client (usually) loads from storage.
        await sleep(Number(options.relayEnv?.['ROOM_UNLOAD_DELAY_MS'] ?? 2_000) + 500)
      }
      problems.push(...(await checkFreshLoad(relay, docId, reference, written)))
    }
  } catch (error) {
    if (error instanceof WaitTimeoutError) problems.push(error.message)
    else problems.push(`session crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  } finally {
    for (const client of everyClient) client.destroy()
    for (const proxy of proxies) await proxy.close()
    if (sharedRelay === undefined) await relay.dispose()
  }

  problems.push(...relayErrors(relay, sessionStartMs))
  const closeCodes: Record<string, number> = {}
  for (const code of everyClient.flatMap((client) => client.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + 1
  const refused = Object.keys(closeCodes).map(Number).filter(CLOSE_CODES_THAT_ARE_BUGS)
  if (refused.length > 0) problems.push(`relay closed honest clients with ${refused.join(', ')} (counts ${JSON.stringify(closeCodes)})`)

  const faultCounts = sumCounts(proxies.map((proxy) => proxy.counts))
  const report: SessionReport = {
    seed,
    docId,
    clients: plan.clientCount,
    clientInstances: everyClient.length,
    actions: plan.steps + calmStepsTaken,
    edits: everyClient.reduce((sum, client) => sum + client.edits, 0),
    markers: everyClient.reduce((sum, client) => sum + client.markers.length, 0),
    faults: injectedFaults(faultCounts),
    faultCounts,
    relaySigkills: chaos.sigkills,
    relaySigterms: chaos.sigterms,
    replacements,
    finalStop,
    syncedMs,
    convergeMs,
    closeCodes,
    relayEnv: sharedRelay === undefined ? plan.relayEnv : {},
    problems,
    reportFile: null,
  }
  if (problems.length > 0 || options.keepReport === true) {
    report.reportFile = writeFailureReport(report, trace, relay.output(), problems.length > 0 ? dataDir : null)
  }
  if (problems.length === 0 && dataDir !== null) {
    rmSync(dataDir, { recursive: true, force: true })
  }
  return report
}

async function requestSaved(relay: RelayProcess, docId: string): Promise<string> {
  return describeStateVector(await requestSavedStateVector(relay.syncUrl, docId, 10_000))
}

/** A client with no local state, straight to the relay (no proxy), must load the converged state. */
async function checkFreshLoad(relay: RelayProcess, docId: string, reference: Observation, written: ReadonlySet<string>): Promise<string[]> {
  const fresh = new SimClient({ label: 'fresh-after-restart', serverUrl: relay.syncUrl, docId })
  try {
    await waitFor(() => fresh.synced, { timeoutMs: FRESH_LOAD_TIMEOUT_MS, message: 'fresh client synced' })
    // Compared the moment it is synced: sync step 2 carries the whole stored document.
    const observed = observe(fresh.label, fresh.doc)
    return [...differences(reference, observed), ...markerProblems(fresh.label, observed.text, written)]
  } catch (error) {
    return [`fresh client could not load the document: ${error instanceof Error ? error.message : String(error)}`]
  } finally {
    fresh.destroy()
  }
}

/** Error-level lines the relay logged during the session: it failed at something honest clients did. */
function relayErrors(relay: RelayProcess, sinceMs: number): string[] {
  const errors = relay
    .logRecords()
    .filter((record) => Number(record['level']) >= 50 && Number(record['time']) >= sinceMs)
  if (errors.length === 0) return []
  const first = errors[0]!
  const err = first['err'] as { message?: unknown } | undefined
  return [`relay logged ${errors.length} error(s); first: ${String(first['msg'])}${err?.message !== undefined ? ` (${String(err.message)})` : ''}`]
}

function sumCounts(all: FaultCounts[]): FaultCounts {
  const total: FaultCounts = { connections: 0, refused: 0, resets: 0, stalls: 0, splitChunks: 0, delayedConnections: 0 }
  for (const counts of all) {
    for (const key of Object.keys(total) as Array<keyof FaultCounts>) total[key] += counts[key]
  }
  return total
}

function writeFailureReport(report: SessionReport, trace: string[], relayOutput: string, dataDir: string | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `relay-fuzz-failure-${report.seed}-`))
  const file = path.join(dir, 'report.txt')
  const { problems, ...summary } = report
  writeFileSync(
    file,
    [
      `Reproduce: cd /work/main && FUZZ_SEED=${report.seed} pnpm exec vitest run apps/relay/test/fuzz`,
      `DATA_DIR kept at: ${dataDir ?? '(not kept)'}`,
      '',
      '== problems ==',
      ...problems,
      '',
      '== summary ==',
      JSON.stringify(summary, null, 2),
      '',
      '== trace ==',
      ...trace,
      '',
      '== relay output (last lines) ==',
      relayOutput,
    ].join('\n'),
  )
  return file
}
