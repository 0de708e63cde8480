// Sessions around whole documents: idle connections (memory), a holder that uploads a document
// and keeps it open, joiners (cold load) and a reconnect storm of clients that hold the document.
import { readFileSync } from 'node:fs'
import { encodeSyncStep2 } from '@collab/protocol'
import * as Y from 'yjs'
import { nowMs } from '../../util/clock'
import { DIALECTS } from '../../wire/dialect'
import { LightClient } from '../../wire/light-client'
import { connectMany, summarize } from '../connect-many'
import type { SessionKinds, WorkerSession } from '../session-types'

export async function idleClientsSession(spec: SessionKinds['idleClients']['spec']): Promise<WorkerSession<'idleClients'>> {
  const dialect = DIALECTS[spec.dialect]
  const seed = spec.seedPath === null ? null : new Uint8Array(readFileSync(spec.seedPath))
  const clients: LightClient[] = []
  for (const docId of spec.docIds) {
    for (let i = 0; i < spec.perDoc; i++) clients.push(new LightClient({ baseUrl: spec.baseUrl, docId, dialect }))
  }
  const result = await connectMany(clients, spec.concurrency)
  if (seed !== null) {
    // The first client of each document writes its content; the barrier proves it was applied.
    const seeders = clients.filter((_, i) => i % spec.perDoc === 0 && clients[i]!.isOpen)
    for (let i = 0; i < seeders.length; i += spec.concurrency) {
      await Promise.all(
        seeders.slice(i, i + spec.concurrency).map((c) => {
          // As a sync step 2, like a client's first upload (the floor keeps the largest one).
          c.send(encodeSyncStep2(seed))
          return c.syncAgain()
        }),
      )
    }
  }
  return {
    ready: result,
    commands: {
      closeAll: async () => {
        await Promise.all(clients.map((c) => c.close()))
        return { closed: clients.length }
      },
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.close()))
    },
  }
}

export async function holderSession(spec: SessionKinds['holder']['spec']): Promise<WorkerSession<'holder'>> {
  const state = new Uint8Array(readFileSync(spec.statePath))
  const client = new LightClient({ baseUrl: spec.baseUrl, docId: spec.docId, dialect: DIALECTS[spec.dialect] })
  await client.open()
  await client.synced
  client.send(encodeSyncStep2(state))
  await client.syncAgain()
  return {
    ready: { seededAtMs: nowMs(), bytesOut: client.bytesOut },
    commands: {},
    close: () => client.close(),
  }
}

export async function joinersSession(spec: SessionKinds['joiners']['spec']): Promise<WorkerSession<'joiners'>> {
  const dialect = DIALECTS[spec.dialect]
  return {
    ready: {},
    commands: {
      join: async ({ count }) => {
        const clients = Array.from({ length: count }, () => new LightClient({ baseUrl: spec.baseUrl, docId: spec.docId, dialect }))
        const startMs = nowMs()
        const outcomes = await Promise.allSettled(clients.map(async (c) => {
          await c.open()
          await c.synced
        }))
        const result = summarize(clients, startMs, outcomes.filter((o) => o.status === 'rejected').length, firstRejection(outcomes))
        await Promise.all(clients.map((c) => c.close()))
        return result
      },
    },
    close: async () => {},
  }
}

function firstRejection(outcomes: PromiseSettledResult<unknown>[]): string {
  const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')
  return rejected === undefined ? '' : String((rejected.reason as Error)?.message ?? rejected.reason)
}

/** True when the server's state vector covers every clock of ours. */
function covers(serverStateVector: Uint8Array, ours: Map<number, number>): boolean {
  const server = Y.decodeStateVector(serverStateVector)
  for (const [client, clock] of ours) if ((server.get(client) ?? 0) < clock) return false
  return true
}

export async function stormSession(spec: SessionKinds['storm']['spec']): Promise<WorkerSession<'storm'>> {
  const dialect = DIALECTS[spec.dialect]
  const doc = new Y.Doc()
  Y.applyUpdate(doc, new Uint8Array(readFileSync(spec.statePath)))
  const state = Y.encodeStateAsUpdate(doc)
  const stateVector = Y.encodeStateVector(doc)
  const upToDate = Y.encodeStateAsUpdate(doc, stateVector)
  const ours = Y.decodeStateVector(stateVector)
  doc.destroy()
  // Like a stock client holding the document: step 1 with its full state vector, and a step 2
  // answer that is only the delete set when the server has everything, the whole state otherwise.
  const answerStep1 = (serverStateVector: Uint8Array): Uint8Array => (covers(serverStateVector, ours) ? upToDate : state)
  let clients: LightClient[] = []
  return {
    ready: {},
    commands: {
      connectAll: async ({ barrier }) => {
        clients = Array.from({ length: spec.count }, () => new LightClient({ baseUrl: spec.baseUrl, docId: spec.docId, dialect, stateVector, answerStep1 }))
        const startMs = nowMs()
        const outcomes = await Promise.allSettled(clients.map(async (c) => {
          await c.open()
          await c.synced
          if (barrier) await c.syncAgain()
        }))
        return summarize(clients, startMs, outcomes.filter((o) => o.status === 'rejected').length, firstRejection(outcomes))
      },
      closeAll: async () => {
        await Promise.all(clients.map((c) => c.close()))
        return { closed: clients.length }
      },
    },
    close: async () => {
      await Promise.all(clients.map((c) => c.close()))
    },
  }
}
