// Micro-benchmark: server CPU when many documents are edited at once, one writer each typing at
// `--hz` (what group commit across rooms is for: the rooms flushed in one tick share SQLite
// transactions). Same servers as `pnpm bench`, started the same way (pinned to core 0, with the
// probe); this process runs the writers (a Y.Doc each, one character per keystroke) on core 1.
//
//   cd bench && node --import tsx src/micro/many-rooms.ts [--rooms 1000] [--hz 5] [--seconds 15]
//     [--rounds 2] [--servers ours,ours-memory,y-websocket,hocuspocus]
//     [--relay <another checkout with apps/relay/dist, for "ours">] [--profile <dir>] [--out <file>]
//     [--database-url <postgres://…>: "ours" stores in that PostgreSQL database instead of SQLite]
//     [--client-deflate-threshold <bytes>: the writers compress (permessage-deflate, where the server
//      accepts it) every message of at least this size; default 1024 as ws, 0 as a browser]
//
// Measured over the window: server CPU per update (the probe's process.cpuUsage), event-loop
// delay p99 and max (the probe's histogram). Afterwards 20 of the documents are read back by a
// fresh client and compared with their writer's text. Prints a JSON summary and writes it
// (default <repo>/bench-results/micro-many-rooms.json). Rounds alternate the servers; the best
// round of each counts.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { encodeSyncStep1, encodeSyncUpdate } from '@collab/protocol'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { REPO_DIR, RESULTS_DIR } from '../paths'
import { LOAD_CPU, pinProcess, pinningAvailable } from '../servers/affinity'
import { buildBenchServers } from '../servers/build-servers'
import { createDataDir, removeDataDir, RunningServer } from '../servers/server-process'
import { PEER_IDS, SERVERS, SERVER_IDS, type ServerId, type ServerSpec } from '../servers/server-spec'
import { freePort } from '../util/ports'
import { argument } from '../util/cli'
import { readTexts } from '../wire/doc-client'
import { DIALECTS } from '../wire/dialect'

const rooms = Number(argument('rooms', '1000'))
const hz = Number(argument('hz', '5'))
const seconds = Number(argument('seconds', '15'))
const rounds = Number(argument('rounds', '2'))
const serverIds = argument('servers', 'ours,ours-memory,y-websocket,hocuspocus').split(',') as ServerId[]
const relayRepo = resolve(argument('relay', REPO_DIR))
const outFile = argument('out', join(RESULTS_DIR, 'micro-many-rooms.json'))
/** "ours" stores in this PostgreSQL database (DATABASE_URL) instead of SQLite when given. */
const databaseUrl = argument('database-url', '')
/** V8 CPU profiles of our relay (ours, ours-memory) go here when given. */
const profileDir = argument('profile', '')
const clientDeflateThreshold = Number(argument('client-deflate-threshold', '1024'))
const CHECKED_DOCUMENTS = 20

if (!Number.isInteger(clientDeflateThreshold) || clientDeflateThreshold < 0) {
  throw new Error(`--client-deflate-threshold: expected a whole number of bytes ≥ 0, got ${JSON.stringify(argument('client-deflate-threshold', ''))}`)
}
for (const id of serverIds) {
  if (!SERVER_IDS.includes(id)) throw new Error(`--servers: unknown server ${JSON.stringify(id)} (one of ${SERVER_IDS.join(', ')})`)
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

function specOf(id: ServerId): ServerSpec {
  const spec = SERVERS[id]
  // Another checkout's relay build, to compare two versions of ours.
  return id.startsWith('ours') ? { ...spec, entry: join(relayRepo, 'apps/relay/dist/server.js') } : spec
}

interface Writer {
  docId: string
  socket: WebSocket
  doc: Y.Doc
}

/** One round on one server: `rooms` writers connect and type for `seconds`. */
async function run(spec: ServerSpec, round: number) {
  const dialect = DIALECTS[spec.dialect]
  const dataDir = createDataDir(spec)
  const profiled = profileDir !== '' && spec.id.startsWith('ours')
  const server = await RunningServer.start(spec, {
    port: await freePort(),
    dataDir,
    ...(profiled ? { cpuProfileDir: resolve(profileDir) } : {}),
    ...(databaseUrl !== '' && spec.id === 'ours' ? { extraEnv: { DATABASE_URL: databaseUrl } } : {}),
  })
  const writers: Writer[] = []
  const intervals: NodeJS.Timeout[] = []
  try {
    for (let index = 0; index < rooms; index++) {
      const docId = `many-rooms-${round}-${index}`
      const doc = new Y.Doc()
      const socket = new WebSocket(dialect.url(server.wsBase, docId), { perMessageDeflate: { threshold: clientDeflateThreshold } })
      await new Promise((opened, failed) => {
        socket.once('open', opened)
        socket.once('error', failed)
      })
      socket.on('message', () => {})
      for (const message of dialect.openingMessages(docId)) socket.send(message)
      socket.send(dialect.wrap(docId, encodeSyncStep1(Y.encodeStateVector(doc))))
      doc.on('update', (update: Uint8Array) => socket.send(dialect.wrap(docId, encodeSyncUpdate(update))))
      writers.push({ docId, socket, doc })
    }
    await sleep(2_000)
    let typed = 0
    const periodMs = 1_000 / hz
    // Staggered, as people type: not every document in the same millisecond.
    writers.forEach(({ doc }, index) =>
      setTimeout(() => {
        const text = doc.getText('t')
        intervals.push(setInterval(() => (text.insert(text.length, 'x'), typed++), periodMs))
      }, (index * periodMs) / rooms),
    )
    await sleep(periodMs + 1_000)
    const before = await server.probe('lag-reset')
    const typedBefore = typed
    const startedMs = performance.now()
    await sleep(seconds * 1_000)
    const after = await server.probe('lag')
    const wallS = (performance.now() - startedMs) / 1_000
    const updates = typed - typedBefore
    for (const interval of intervals.splice(0)) clearInterval(interval)
    const cpuS = after.cpuSeconds - before.cpuSeconds

    await sleep(1_500)
    let converged = 0
    const checked = writers.filter((_, index) => index % Math.ceil(rooms / CHECKED_DOCUMENTS) === 0)
    for (const writer of checked) {
      const texts = await readTexts({ baseUrl: server.wsBase, docId: writer.docId, dialect, names: ['t'] })
      if (texts.get('t') === writer.doc.getText('t').toString()) converged++
    }
    return {
      server: spec.label,
      updatesPerSecond: Math.round(updates / wallS),
      cpuShare: Math.round((cpuS / wallS) * 1_000) / 1_000,
      cpuUsPerUpdate: Math.round((cpuS * 1e6) / updates),
      lagP99Ms: after.lagP99Ms,
      lagMaxMs: after.lagMaxMs,
      converged: `${converged}/${checked.length}`,
      allConverged: converged === checked.length,
    }
  } finally {
    for (const interval of intervals) clearInterval(interval)
    for (const { socket } of writers) socket.terminate()
    await server.stop()
    removeDataDir(dataDir)
  }
}

if (pinningAvailable()) pinProcess(process.pid, LOAD_CPU)
await buildBenchServers()
const byServer = new Map<ServerId, Awaited<ReturnType<typeof run>>[]>()
for (let round = 0; round < rounds; round++) {
  for (const id of serverIds) {
    const result = await run(specOf(id), round)
    console.error(JSON.stringify(result))
    byServer.set(id, [...(byServer.get(id) ?? []), result])
  }
}
const best = new Map([...byServer].map(([id, results]) => [id, results.reduce((a, b) => (b.cpuUsPerUpdate < a.cpuUsPerUpdate ? b : a))]))
const peers = PEER_IDS.filter((id) => best.has(id))
const bestPeerUs = peers.length === 0 ? null : Math.min(...peers.map((id) => best.get(id)!.cpuUsPerUpdate))
const summary = {
  date: new Date().toISOString(),
  relay: relayRepo,
  store: databaseUrl === '' ? 'SQLite' : 'PostgreSQL',
  rooms,
  hz,
  seconds,
  clientDeflateThreshold,
  rounds,
  pinned: pinningAvailable(),
  best: Object.fromEntries(best),
  oursCpuPerUpdateVsBestPeer:
    bestPeerUs === null || !best.has('ours') ? null : Math.round((best.get('ours')!.cpuUsPerUpdate / bestPeerUs) * 100) / 100,
  all: Object.fromEntries(byServer),
}
console.log(JSON.stringify(summary, null, 2))
mkdirSync(dirname(outFile), { recursive: true })
writeFileSync(outFile, `${JSON.stringify(summary, null, 2)}\n`)
console.log(`written to ${outFile}`)
const diverged = [...byServer.values()].flat().filter((result) => !result.allConverged)
for (const result of diverged) console.error(`${result.server}: documents read back differ from their writers (${result.converged} match)`)
process.exit(diverged.length === 0 ? 0 : 1)
