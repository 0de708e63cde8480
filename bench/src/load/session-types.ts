// What the runner can ask the load workers: each session kind with its spec, what it reports when
// ready, and its commands (argument → result). Everything crosses the IPC channel as JSON; large
// number arrays travel as base64 Float64Arrays.
import type { DialectName } from '../wire/dialect'

export interface Target {
  baseUrl: string
  dialect: DialectName
  docId: string
}

/** Delivery progress of one writer's updates over a set of receivers. */
export interface DeliveredCounts {
  /** Fewest updates any receiver holds (a prefix of the writer's sequence). */
  min: number
  /** Updates held, summed over receivers. */
  sum: number
}

export interface WriterSpec extends Target {
  workloadPath: string
  /** A second socket in the same process that meters the writer's own updates (closed loop). */
  tracker: boolean
  /** Other writers whose updates this writer's socket meters (typists read each other). */
  meteredWorkloadPaths: string[]
}

export interface SendTimes {
  sent: number
  /** Send time of update k (ms since epoch), base64 Float64Array. */
  sendTimesB64: string
  startMs: number
  endMs: number
}

export interface ClosedLoopResult extends SendTimes {
  /** When the tracker received update k, base64 Float64Array (NaN: not yet; empty without tracker). */
  trackerArrivalsB64: string
}

export interface ConnectResult {
  count: number
  failures: number
  /** The first failure's message ('' when none failed). */
  firstError: string
  startMs: number
  endMs: number
  /** Per client: connect start → sync step 2 received, ms. */
  syncMs: number[]
  /** Per client: message bytes received until synced (as decoded: decompressed). */
  bytesIn: number[]
  /** Per client: TCP bytes received until synced (upgrade response, framing and compression included). */
  wireBytesIn: number[]
  bytesOut: number[]
}

export interface AwarenessRunResult {
  sentFrames: number
  sentBytes: number
  receivedFrames: number
  receivedBytes: number
  /** Last clock each client sent: what every peer must end up seeing. */
  finalClocks: [number, number][]
  startMs: number
  endMs: number
}

export interface Counters {
  receivedFrames: number
  receivedBytes: number
}

export interface SessionKinds {
  writer: {
    spec: WriterSpec
    ready: { syncedAtMs: number }
    commands: {
      /** Sends update k at `startAtMs + offsetsMs[k]`. */
      schedule: [{ startAtMs: number; offsetsMs: number[] }, SendTimes]
      /** As fast as the tracker confirms, with at most `window` updates unconfirmed. */
      closedLoop: [{ durationMs: number; window: number }, ClosedLoopResult]
      /** At a fixed rate; send times are the scheduled ones (no coordinated omission). */
      openLoop: [{ ratePerS: number; durationMs: number }, ClosedLoopResult]
      /** Waits until this writer's socket holds `targets[w]` updates of each metered writer. */
      waitDelivered: [{ targets: number[]; timeoutMs: number }, { complete: boolean; perWriter: DeliveredCounts[] }]
      /** Arrival times of the metered writers' updates on this writer's socket. */
      arrivals: [{ upTo: number[] }, { arrivalsB64: string[][] }]
    }
  }
  receivers: {
    spec: Target & { count: number; workloadPaths: string[] }
    ready: { count: number }
    commands: {
      delivered: [Record<string, never>, { perWriter: DeliveredCounts[] }]
      waitDelivered: [{ targets: number[]; timeoutMs: number }, { complete: boolean; perWriter: DeliveredCounts[] }]
      /** Per receiver, per writer: arrival time of updates 0..upTo-1 (base64 Float64Array). */
      arrivals: [{ upTo: number[] }, { arrivalsB64: string[][] }]
      /** Per writer: updates that arrived in [fromMs, toMs] summed over receivers, and the last arrival. */
      deliveredBetween: [{ fromMs: number; toMs: number }, { perWriter: { count: number; lastArrivalMs: number }[] }]
    }
  }
  idleClients: {
    spec: { baseUrl: string; dialect: DialectName; docIds: string[]; perDoc: number; seedPath: string | null; concurrency: number }
    ready: ConnectResult
    commands: {
      closeAll: [Record<string, never>, { closed: number }]
    }
  }
  holder: {
    spec: Target & { statePath: string }
    ready: { seededAtMs: number; bytesOut: number }
    commands: Record<string, never>
  }
  joiners: {
    spec: Target
    ready: Record<string, never>
    commands: {
      /** `count` fresh clients connect at once; each closes once synced. */
      join: [{ count: number }, ConnectResult]
    }
  }
  storm: {
    spec: Target & { count: number; statePath: string }
    ready: Record<string, never>
    commands: {
      /**
       * Every client (holding the whole document) connects at once and syncs; with `barrier`, each
       * then waits for the answer to a second step 1 (the server processed its upload too).
       */
      connectAll: [{ barrier: boolean }, ConnectResult]
      closeAll: [Record<string, never>, { closed: number }]
    }
  }
  awareness: {
    spec: Target & { count: number; minHz: number; maxHz: number; seed: number; clientIdBase: number }
    ready: ConnectResult
    commands: {
      run: [{ startAtMs: number; durationMs: number }, AwarenessRunResult]
      counters: [Record<string, never>, Counters]
    }
  }
  awarenessObserver: {
    spec: Target
    ready: { syncedAtMs: number }
    commands: {
      /** Resolves once this client has seen every client's final clock. */
      waitFor: [{ clocks: [number, number][]; timeoutMs: number }, { converged: boolean; atMs: number; missing: number }]
    }
  }
}

export type SessionKind = keyof SessionKinds
export type CommandName<K extends SessionKind> = keyof SessionKinds[K]['commands'] & string
export type CommandArg<K extends SessionKind, C extends CommandName<K>> = SessionKinds[K]['commands'][C] extends [infer A, unknown] ? A : never
export type CommandResult<K extends SessionKind, C extends CommandName<K>> = SessionKinds[K]['commands'][C] extends [unknown, infer R] ? R : never

/** Worker-side implementation of a session kind. */
export interface WorkerSession<K extends SessionKind> {
  ready: SessionKinds[K]['ready']
  commands: { [C in CommandName<K>]: (arg: CommandArg<K, C>) => Promise<CommandResult<K, C>> }
  close(): Promise<void>
}

/** Runner → worker. */
export type ToWorker =
  | { type: 'start'; requestId: number; sessionId: number; kind: SessionKind; spec: unknown }
  | { type: 'command'; requestId: number; sessionId: number; name: string; arg: unknown }
  | { type: 'end'; requestId: number; sessionId: number }

/** Worker → runner. */
export type FromWorker =
  | { type: 'reply'; requestId: number; ok: true; value: unknown }
  | { type: 'reply'; requestId: number; ok: false; error: string }
