// Public types of the sync client; the implementation lives in sync-client.ts.
import type * as Y from 'yjs'
import type { Awareness } from 'y-protocols/awareness'
import type { WebsocketProvider } from 'y-websocket'

export type ConnectionState = 'online' | 'connecting' | 'offline'

/** Where the IndexedDB replica stands: `disabled` = not used, `failed` = could not be opened. */
export type LocalPersistenceState = 'loading' | 'loaded' | 'disabled' | 'failed'

export interface SyncStatus {
  /** online: socket open and first sync done; connecting: trying; offline: no network or gave up for now. */
  connection: ConnectionState
  /** The IndexedDB copy has been loaded into the document (also true when there is none to load). */
  localLoaded: boolean
  /** Details behind `localLoaded`. */
  localPersistence: LocalPersistenceState
  /** Every local change is durable on the relay (compared by state vector). */
  allSaved: boolean
  /** Local transactions not yet confirmed as stored by the relay. */
  pendingChanges: number
  /** When the next reconnect attempt happens (ms since epoch), if one is scheduled. */
  nextRetryAtMs: number | null
  /**
   * Set when the relay refused the document for good (close code 4400–4499, e.g. an invalid doc
   * id or no permission): the client stops reconnecting until `reconnectNow()`.
   */
  permanentError: string | null
}

export interface UserProfile {
  name: string
  /** CSS colour, `#rrggbb`. */
  color: string
}

/** The part of `localStorage` the client uses; inject a Map-backed one in tests. */
export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** Opaque handle returned by {@link Timers.setTimeout}. */
export type TimerHandle = unknown

/** Injected clock callbacks, so backoff, heartbeat and throttling are testable without sleeping. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/** Source of `online` / `offline` events (the browser `window`). */
export interface NetworkEventSource {
  addEventListener(type: 'online' | 'offline', listener: () => void): void
  removeEventListener(type: 'online' | 'offline', listener: () => void): void
}

export interface BackoffOptions {
  /** Cap of the first retry's delay; doubles per consecutive failure. */
  baseMs: number
  /** Upper bound of any delay. */
  maxMs: number
}

export type WebSocketConstructor = typeof WebSocket

export interface SyncClientOptions {
  /** Relay sync endpoint without the doc id, e.g. `ws://127.0.0.1:8080/sync`. */
  serverUrl: string
  /** Validated against the public doc-id contract (1–128 of `[A-Za-z0-9_-]`). */
  docId: string
  /** Document to sync; created (and destroyed with the client) when omitted. */
  doc?: Y.Doc
  /** Query parameters appended to the socket URL. */
  params?: Record<string, string>
  /** WebSocket implementation (e.g. `ws` in Node); the global one by default. */
  WebSocketPolyfill?: WebSocketConstructor
  /** Keep a local replica in IndexedDB (default: true when `indexedDB` exists). */
  indexedDB?: boolean
  /** Disable y-websocket's cross-tab BroadcastChannel (default false; tests in one process want true). */
  disableBc?: boolean
  /** Reconnect backoff with full jitter; default `{ baseMs: 250, maxMs: 5000 }`. */
  backoff?: BackoffOptions
  /** Consecutive failed attempts after which the status says `offline` rather than `connecting` (default 3). */
  offlineAfterFailedAttempts?: number
  /** Uniform [0, 1) source for jitter; default Math.random. */
  random?: () => number
  /** Wall clock in ms; default Date.now. */
  now?: () => number
  /** Timer functions; default the global setTimeout/clearTimeout. */
  timers?: Timers
  /** How often a connected client sends a heartbeat `[100]` (default 10 000 ms). */
  heartbeatIntervalMs?: number
  /** No frame at all within this long after a heartbeat (or while opening) = dead socket (default 10 000 ms). */
  heartbeatTimeoutMs?: number
  /** Delay between a local change and asking the relay whether it is durable (default 250 ms). */
  saveCheckDelayMs?: number
  /** Minimum spacing of outgoing awareness (cursor) updates (default 50 ms = 20 per second). */
  awarenessIntervalMs?: number
  /** Where `online`/`offline` events come from; default `window` when present, `null` = none. */
  networkEvents?: NetworkEventSource | null
  /** Where the user profile lives; default `localStorage` when usable, `null` = nowhere. */
  storage?: KeyValueStorage | null
  /** Local user shown to others; default the stored profile (or a random friendly one). */
  user?: UserProfile
}

/** The browser's sync engine for one document. Methods are bound: pass them around freely. */
export interface SyncClient {
  readonly docId: string
  readonly doc: Y.Doc
  readonly awareness: Awareness
  /** The underlying y-websocket provider (read-only use; the client drives its connection). */
  readonly provider: WebsocketProvider
  /** Resolves once the IndexedDB replica is in `doc` (or there is none); never rejects. */
  readonly whenLocalLoaded: Promise<void>
  /** Current status; the same object until something changes (fits React's useSyncExternalStore). */
  getStatus(): SyncStatus
  /** Calls `listener` after every status change; returns the unsubscribe function. */
  subscribe(listener: (status: SyncStatus) => void): () => void
  /** The local user as others see it. */
  getUser(): UserProfile
  /** Validates, remembers (storage) and publishes the local user; throws InvalidUserProfileError. */
  setUser(profile: UserProfile): UserProfile
  /** Connect now, skipping any backoff wait or permanent stop (a "retry now" button). */
  reconnectNow(): void
  /** Stops everything: socket, timers, listeners, persistence; destroys `doc` if the client created it. */
  destroy(): Promise<void>
}
