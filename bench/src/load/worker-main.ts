// Entry of a load worker process (forked by the runner, pinned to the load core). It runs sessions
// the runner starts and answers their commands over the IPC channel.
import { awarenessObserverSession, awarenessSession } from './sessions/awareness'
import { holderSession, idleClientsSession, joinersSession, stormSession } from './sessions/documents'
import { receiversSession } from './sessions/receivers'
import { writerSession } from './sessions/writer'
import type { FromWorker, SessionKind, SessionKinds, ToWorker, WorkerSession } from './session-types'

type Factories = { [K in SessionKind]: (spec: SessionKinds[K]['spec']) => Promise<WorkerSession<K>> }

const factories: Factories = {
  writer: writerSession,
  receivers: receiversSession,
  idleClients: idleClientsSession,
  holder: holderSession,
  joiners: joinersSession,
  storm: stormSession,
  awareness: awarenessSession,
  awarenessObserver: awarenessObserverSession,
}

interface AnySession {
  commands: Record<string, (arg: unknown) => Promise<unknown>>
  close(): Promise<void>
}

const sessions = new Map<number, AnySession>()

function reply(message: FromWorker): void {
  process.send?.(message)
}

async function handle(message: ToWorker): Promise<unknown> {
  switch (message.type) {
    case 'start': {
      const factory = factories[message.kind] as (spec: unknown) => Promise<WorkerSession<SessionKind>>
      const session = await factory(message.spec)
      sessions.set(message.sessionId, session as unknown as AnySession)
      return session.ready
    }
    case 'command': {
      const session = sessions.get(message.sessionId)
      const command = session?.commands[message.name]
      if (command === undefined) throw new Error(`session ${message.sessionId} has no command ${message.name}`)
      return command(message.arg)
    }
    case 'end': {
      const session = sessions.get(message.sessionId)
      sessions.delete(message.sessionId)
      await session?.close()
      return null
    }
  }
}

process.on('message', (message: ToWorker) => {
  handle(message).then(
    (value) => reply({ type: 'reply', requestId: message.requestId, ok: true, value: value ?? null }),
    (error: unknown) => reply({ type: 'reply', requestId: message.requestId, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
