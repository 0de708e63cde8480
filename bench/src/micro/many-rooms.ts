// Micro-benchmark: our relay's CPU when many documents are edited at once, one writer each typing
// at `--hz` (what group commit across rooms is for: the rooms flushed in one tick share one
// SQLite transaction). Not a peer comparison; run it against two builds to compare them.
//
//   cd bench && node --import tsx src/micro/many-rooms.ts [--rooms 1000] [--hz 5] [--seconds 15]
//     [--rounds 2] [--persistence on|off] [--relay <repo with apps/relay/dist>] [--out <file>]
//
// The relay is pinned to core 0 and this process (the writers: a Y.Doc each, one character per
// keystroke) to core 1 when taskset is available. Measured: the relay's CPU time per update over
// the window, from /proc, and its longest event-loop block in each second of it (the relay's
// relay_event_loop_delay_max_seconds, read from /metrics every second). Prints a JSON summary and
// writes it (default <repo>/bench-results/micro-many-rooms.json).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { LOAD_CPU, SERVER_CPU, pinProcess, pinnedCommand, pinningAvailable } from '../servers/affinity'
import { cpuSeconds } from '../servers/proc-stats'
import { shippedRelayNodeFlags } from '../servers/shipped-node-flags'

function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const rooms = Number(argument('rooms', '1000'))
const hz = Number(argument('hz', '5'))
const seconds = Number(argument('seconds', '15'))
const rounds = Number(argument('rounds', '2'))
const persistence = argument('persistence', 'on')
const relayRepo = resolve(argument('relay', repoRoot))
const outFile = argument('out', join(repoRoot, 'bench-results/micro-many-rooms.json'))

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/** A port nothing listens on right now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((found, failed) => {
    const probe = createServer().once('error', failed)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => (typeof address === 'object' && address !== null ? found(address.port) : failed(new Error('no port'))))
    })
  })
}

/** A y-websocket sync frame (message type 0) of `kind` (0: step 1, 2: update). */
function syncFrame(kind: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, 0)
  encoding.writeVarUint(encoder, kind)
  encoding.writeVarUint8Array(encoder, payload)
  return encoding.toUint8Array(encoder)
}

async function startRelay(port: number, dataDir: string) {
  const entry = join(relayRepo, 'apps/relay/dist/server.js')
  const { command, args } = pinnedCommand(SERVER_CPU, process.execPath, [...shippedRelayNodeFlags(), entry])
  const relay = spawn(command, args, {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      PERSISTENCE: persistence,
      LOG_LEVEL: 'warn',
      MAX_ROOM_OPENS_PER_IP_PER_MINUTE: '1000000',
      MAX_CONNECTIONS_PER_IP: '1000000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  for (let attempt = 0; ; attempt++) {
    if (relay.exitCode !== null) throw new Error(`the relay in ${relayRepo} exited with ${relay.exitCode}`)
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return relay
    } catch {
      if (attempt > 100) throw new Error(`the relay in ${relayRepo} did not answer on port ${port}`)
    }
    await sleep(100)
  }
}

/** The relay's longest event-loop block since the previous reading, in ms. */
async function loopBlockMs(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const match = /^relay_event_loop_delay_max_seconds (\S+)$/m.exec(text)
  if (match === null) throw new Error('no relay_event_loop_delay_max_seconds in /metrics')
  return Math.round(Number(match[1]) * 10_000) / 10
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** One round: `rooms` writers connect, type for `seconds`; the relay's CPU per update. */
async function run() {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'collab-many-rooms-'))
  const relay = await startRelay(port, dataDir)
  const writers: { socket: WebSocket; doc: Y.Doc }[] = []
  const intervals: NodeJS.Timeout[] = []
  try {
    for (let index = 0; index < rooms; index++) {
      const doc = new Y.Doc()
      const socket = new WebSocket(`ws://127.0.0.1:${port}/sync/many-rooms-${index}`)
      await new Promise((opened, failed) => {
        socket.once('open', opened)
        socket.once('error', failed)
      })
      socket.on('message', () => {})
      socket.send(syncFrame(0, Y.encodeStateVector(doc)))
      doc.on('update', (update: Uint8Array) => socket.send(syncFrame(2, update)))
      writers.push({ socket, doc })
    }
    await sleep(2_000)
    let typed = 0
    const periodMs = 1_000 / hz
    writers.forEach(({ doc }, index) =>
      setTimeout(() => {
        const text = doc.getText('t')
        intervals.push(setInterval(() => (text.insert(text.length, 'x'), typed++), periodMs))
      }, (index * periodMs) / rooms),
    )
    await sleep(periodMs + 1_000)
    await loopBlockMs(port) // starts the first one-second reading
    const cpuBefore = cpuSeconds(relay.pid!)
    const typedBefore = typed
    const startedMs = performance.now()
    const blocksMs: number[] = []
    for (let second = 0; second < seconds; second++) {
      await sleep(1_000)
      blocksMs.push(await loopBlockMs(port))
    }
    const cpu = cpuSeconds(relay.pid!) - cpuBefore
    const wallS = (performance.now() - startedMs) / 1_000
    const updates = typed - typedBefore
    return {
      updatesPerSecond: Math.round(updates / wallS),
      relayCpuShare: Math.round((cpu / wallS) * 1_000) / 1_000,
      relayCpuUsPerUpdate: Math.round((cpu * 1e6) / updates),
      loopBlockMsPerSecond: { median: median(blocksMs), max: Math.max(...blocksMs) },
    }
  } finally {
    for (const interval of intervals) clearInterval(interval)
    for (const { socket } of writers) socket.terminate()
    relay.kill('SIGTERM')
    await new Promise((exited) => (relay.exitCode !== null ? exited(null) : relay.once('exit', exited)))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (pinningAvailable()) pinProcess(process.pid, LOAD_CPU)
const results = []
for (let round = 0; round < rounds; round++) results.push(await run())
const summary = {
  date: new Date().toISOString(),
  relay: relayRepo,
  rooms,
  hz,
  seconds,
  persistence,
  pinned: pinningAvailable(),
  rounds: results,
  bestCpuUsPerUpdate: Math.min(...results.map((result) => result.relayCpuUsPerUpdate)),
}
console.log(JSON.stringify(summary, null, 2))
mkdirSync(dirname(outFile), { recursive: true })
writeFileSync(outFile, `${JSON.stringify(summary, null, 2)}\n`)
console.log(`written to ${outFile}`)
process.exit(0)
