// Runner side of the load workers: separate Node processes (isolation from the runner and from
// each other), pinned to the load core, driven by typed session handles.
import { fork, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { BENCH_DIR, TSX_LOADER_URL } from '../paths'
import { LOAD_CPU, pinProcess } from '../servers/affinity'
import { cpuSeconds } from '../servers/proc-stats'
import type { CommandArg, CommandName, CommandResult, FromWorker, SessionKind, SessionKinds, ToWorker } from './session-types'

type WithoutRequestId<T> = T extends unknown ? Omit<T, 'requestId'> : never

/** A worker answered a request with an error (its stack is in the message). */
export class WorkerError extends Error {
  override readonly name = 'WorkerError'
}

class LoadWorker {
  private nextRequestId = 1
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()

  constructor(
    readonly index: number,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (message: FromWorker) => {
      const waiter = this.pending.get(message.requestId)
      if (waiter === undefined) return
      this.pending.delete(message.requestId)
      if (message.ok) waiter.resolve(message.value)
      else waiter.reject(new WorkerError(`load worker ${index}: ${message.error}`))
    })
    child.on('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new WorkerError(`load worker ${index} exited with ${code}`))
      this.pending.clear()
    })
  }

  request(message: WithoutRequestId<ToWorker>): Promise<unknown> {
    const requestId = this.nextRequestId++
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject })
      this.child.send({ ...message, requestId } as ToWorker)
    })
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect()
  }

  get pid(): number | undefined {
    return this.child.pid
  }
}

let nextSessionId = 1

/** A session running in one worker. */
export class SessionHandle<K extends SessionKind> {
  constructor(
    private readonly worker: LoadWorker,
    readonly id: number,
    readonly ready: SessionKinds[K]['ready'],
  ) {}

  command<C extends CommandName<K>>(name: C, arg: CommandArg<K, C>): Promise<CommandResult<K, C>> {
    return this.worker.request({ type: 'command', sessionId: this.id, name, arg }) as Promise<CommandResult<K, C>>
  }

  async end(): Promise<void> {
    await this.worker.request({ type: 'end', sessionId: this.id })
  }
}

export class WorkerPool {
  private constructor(private readonly workers: LoadWorker[]) {}

  static start(count: number): WorkerPool {
    const entry = join(BENCH_DIR, 'src/load/worker-main.ts')
    const workers = Array.from({ length: count }, (_, index) => {
      const child = fork(entry, [], { execArgv: ['--import', TSX_LOADER_URL], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      if (child.pid !== undefined) pinProcess(child.pid, LOAD_CPU)
      return new LoadWorker(index, child)
    })
    return new WorkerPool(workers)
  }

  get size(): number {
    return this.workers.length
  }

  /** CPU seconds all load workers have used (the load core's busy time, this process excluded). */
  cpuSeconds(): number {
    return this.workers.reduce((sum, worker) => sum + (worker.pid === undefined ? 0 : cpuSeconds(worker.pid)), 0)
  }

  async start<K extends SessionKind>(workerIndex: number, kind: K, spec: SessionKinds[K]['spec']): Promise<SessionHandle<K>> {
    const worker = this.workers[workerIndex % this.workers.length]!
    const sessionId = nextSessionId++
    const ready = (await worker.request({ type: 'start', sessionId, kind, spec })) as SessionKinds[K]['ready']
    return new SessionHandle<K>(worker, sessionId, ready)
  }

  stop(): void {
    for (const worker of this.workers) worker.stop()
  }
}

/** Splits `total` into `parts` nearly equal non-negative counts. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0))
}
