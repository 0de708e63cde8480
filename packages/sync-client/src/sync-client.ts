import * as Y from 'yjs'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as authProtocol from 'y-protocols/auth'
import { Awareness } from 'y-protocols/awareness'
import { WebsocketProvider } from 'y-websocket'
import { MessageType, SyncMessageType, parseDocId } from '@collab/protocol'
import type {
  KeyValueStorage,
  NetworkEventSource,
  SyncClient,
  SyncClientOptions,
  SyncStatus,
  UserProfile,
  WebSocketConstructor,
} from './api'
import { installThrottledAwareness } from './awareness-sender'
import { DEFAULT_BACKOFF, validateBackoff } from './backoff'
import { ConnectionManager } from './connection'
import { InvalidSyncClientOptionError } from './errors'
import { encodeSavedStateVectorRequest, encodeSyncUpdate, readSavedStateReply, sendToRelay } from './frames'
import { openLocalStore } from './local-store'
import { SaveTracker } from './save-tracker'
import { statusEquals } from './status'
import { createTimerSlot, realTimers } from './timers'
import { defaultStorage, loadUserProfile, parseUserProfile, saveUserProfile } from './user-profile'

const DEFAULTS = {
  heartbeatIntervalMs: 10_000,
  heartbeatTimeoutMs: 10_000,
  saveCheckDelayMs: 250,
  awarenessIntervalMs: 50,
  offlineAfterFailedAttempts: 3,
  localLoadTimeoutMs: 10_000,
} as const

/** Longest wait between save checks while the relay keeps lacking data we sent it. */
const MAX_SAVE_RETRY_DELAY_MS = 30_000

type MessageHandler = WebsocketProvider['messageHandlers'][number]

/**
 * Opens one document: loads the IndexedDB replica, then connects to the relay and keeps
 * reconnecting (full-jitter backoff) until destroyed. See SyncClientOptions for defaults.
 */
export function createSyncClient(options: SyncClientOptions): SyncClient {
  const docId = parseDocId(options.docId)
  const serverUrl = validateServerUrl(options.serverUrl)
  const backoff = validateBackoff(options.backoff ?? DEFAULT_BACKOFF)
  const heartbeatIntervalMs = positiveMs('heartbeatIntervalMs', options.heartbeatIntervalMs, DEFAULTS.heartbeatIntervalMs)
  const heartbeatTimeoutMs = positiveMs('heartbeatTimeoutMs', options.heartbeatTimeoutMs, DEFAULTS.heartbeatTimeoutMs)
  const saveCheckDelayMs = positiveMs('saveCheckDelayMs', options.saveCheckDelayMs, DEFAULTS.saveCheckDelayMs)
  const awarenessIntervalMs = positiveMs('awarenessIntervalMs', options.awarenessIntervalMs, DEFAULTS.awarenessIntervalMs)
  const offlineAfterFailedAttempts = options.offlineAfterFailedAttempts ?? DEFAULTS.offlineAfterFailedAttempts
  if (!Number.isSafeInteger(offlineAfterFailedAttempts) || offlineAfterFailedAttempts < 1) {
    throw new InvalidSyncClientOptionError('offlineAfterFailedAttempts', offlineAfterFailedAttempts, 'an integer ≥ 1')
  }
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  const timers = options.timers ?? realTimers
  const storage: KeyValueStorage | null = options.storage === undefined ? defaultStorage() : options.storage
  const networkEvents = options.networkEvents === undefined ? defaultNetworkEvents() : options.networkEvents
  const initiallyOffline = typeof navigator !== 'undefined' && navigator.onLine === false

  const ownsDoc = options.doc === undefined
  const doc = options.doc ?? new Y.Doc()
  const awareness = new Awareness(doc)
  let user: UserProfile = options.user !== undefined ? parseUserProfile(options.user) : loadUserProfile(storage, random)
  awareness.setLocalStateField('user', { name: user.name, color: user.color })

  const listeners = new Set<(status: SyncStatus) => void>()
  let destroyed = false
  let status: SyncStatus
  const updateStatus = (): void => {
    if (destroyed) return
    const next = Object.freeze(buildStatus())
    if (statusEquals(status, next)) return
    status = next
    for (const listener of [...listeners]) {
      try {
        listener(status)
      } catch (error) {
        // A broken listener must not break the sync engine; surface it without swallowing.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  const localStore = openLocalStore({
    docId,
    doc,
    enabled: options.indexedDB ?? true,
    loadTimeoutMs: DEFAULTS.localLoadTimeoutMs,
    timers,
    onStateChange: updateStatus,
    // Called only for updates after this function returned (the provider exists by then).
    isRemoteOrigin: (origin) => origin === provider,
  })

  const provider = new WebsocketProvider(serverUrl, docId, doc, {
    connect: false,
    awareness,
    params: { ...options.params },
    disableBc: options.disableBc ?? false,
    maxBackoffTime: backoff.maxMs,
    WebSocketPolyfill: webSocketImplementation(options.WebSocketPolyfill),
  })

  const tracker = new SaveTracker()
  const saveCheckSlot = createTimerSlot(timers)
  let missingDataStreak = 0

  const sendSavedStateRequest = (): void => {
    if (sendToRelay(provider, encodeSavedStateVectorRequest())) tracker.noteRequestSent()
  }
  const scheduleSaveCheck = (delayMs: number): void => {
    if (destroyed || saveCheckSlot.armed) return
    saveCheckSlot.arm(() => {
      localStore.writeSavedState(tracker.savedState)
      sendSavedStateRequest()
    }, delayMs)
  }

  const connection = new ConnectionManager({
    provider,
    backoff,
    offlineAfterFailedAttempts,
    random,
    now,
    timers,
    heartbeatIntervalMs,
    heartbeatTimeoutMs,
    networkEvents,
    initiallyOffline,
    sendHeartbeat: sendSavedStateRequest,
    onChange: updateStatus,
  })
  const onConnectionClose = (): void => tracker.resetConnection()
  provider.on('connection-close', onConnectionClose)
  // When this client left, the relay removed its presence and bumped its clock past ours, so the
  // state the provider re-sends on open would be ignored: renew it with a higher clock.
  const onProviderStatus = ({ status }: { status: string }): void => {
    const state = awareness.getLocalState()
    if (status === 'connected' && state !== null) awareness.setLocalState(state)
  }
  provider.on('status', onProviderStatus)

  const onDocUpdate = (_update: Uint8Array, origin: unknown, _doc: Y.Doc, transaction: Y.Transaction): void => {
    if (origin === provider) return
    const fromReplica = localStore.origin !== null && origin === localStore.origin
    tracker.noteChange(transaction.beforeState, transaction.afterState, !fromReplica)
    if (!fromReplica) scheduleSaveCheck(saveCheckDelayMs)
    updateStatus()
  }
  doc.on('update', onDocUpdate)

  const onSavedStateReply = (decoder: decoding.Decoder): void => {
    const relayStateVector = readSavedStateReply(decoder)
    const { relayIsMissingData } = tracker.noteReply(relayStateVector)
    if (relayIsMissingData && relayStateVector !== null) {
      // The relay lost or refused something we sent: heal it with exactly the difference.
      sendToRelay(provider, encodeSyncUpdate(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(relayStateVector))))
      missingDataStreak++
      scheduleSaveCheck(Math.min(MAX_SAVE_RETRY_DELAY_MS, saveCheckDelayMs * 2 ** missingDataStreak))
    } else {
      missingDataStreak = 0
    }
    localStore.writeSavedState(tracker.savedState)
    updateStatus()
  }
  installMessageHandlers(provider, {
    onFrame: () => connection.noteFrameReceived(),
    onBadFrame: () => connection.dropConnection(),
    onSyncStep1Answered: () => {
      // The stock handler wrote our step 2 (our whole state) and it goes out right after this
      // returns; the save check must follow it on the wire.
      tracker.markAllSent()
      scheduleSaveCheck(0)
    },
    onSavedStateReply,
    onPermissionDenied: (reason) => connection.stop(`Permission denied: ${reason}`),
  })
  const uninstallAwareness = installThrottledAwareness(provider, awareness, {
    intervalMs: awarenessIntervalMs,
    now,
    timers,
  })

  const buildStatus = (): SyncStatus => {
    const localLoaded = localStore.state !== 'loading'
    return {
      connection: connection.connectionState,
      localLoaded,
      localPersistence: localStore.state,
      allSaved: localLoaded && tracker.allSaved,
      pendingChanges: tracker.pendingChanges,
      nextRetryAtMs: connection.nextRetryAtMs,
      permanentError: connection.permanentError,
    }
  }
  status = Object.freeze(buildStatus())

  const whenLocalLoaded = localStore.whenLoaded.then((saved) => {
    if (destroyed) return
    if (saved !== null) tracker.restore(saved)
    updateStatus()
    connection.start()
  })

  return {
    docId,
    doc,
    awareness,
    provider,
    whenLocalLoaded,
    getStatus: () => status,
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    getUser: () => user,
    setUser(profile) {
      user = saveUserProfile(storage, profile)
      if (!destroyed) awareness.setLocalStateField('user', { name: user.name, color: user.color })
      return user
    },
    reconnectNow: () => connection.reconnectNow(),
    async destroy() {
      if (destroyed) return
      localStore.writeSavedState(tracker.savedState)
      // Tell peers we left while the socket is still there (goes out unthrottled).
      awareness.setLocalState(null)
      destroyed = true
      listeners.clear()
      saveCheckSlot.clear()
      connection.dispose()
      uninstallAwareness()
      doc.off('update', onDocUpdate)
      provider.off('connection-close', onConnectionClose)
      provider.off('status', onProviderStatus)
      provider.destroy()
      awareness.destroy()
      await localStore.destroy()
      if (ownsDoc) doc.destroy()
    },
  }
}

interface MessageHooks {
  onFrame: () => void
  onBadFrame: () => void
  onSyncStep1Answered: () => void
  onSavedStateReply: (decoder: decoding.Decoder) => void
  onPermissionDenied: (reason: string) => void
}

/**
 * Hooks into the provider's per-type dispatch table (`messageHandlers[type]`): every relay frame
 * counts as a sign of life, a frame that fails to decode drops the socket instead of throwing
 * out of `onmessage`, and our extension type 100 gets its handler. `emitSynced` is true for
 * frames from the relay socket and false for ones relayed by other tabs.
 */
function installMessageHandlers(provider: WebsocketProvider, hooks: MessageHooks): void {
  const handlers = provider.messageHandlers
  const stockSync = handlers[MessageType.Sync]
  handlers[MessageType.Sync] = (encoder, decoder, p, emitSynced, type) => {
    const syncType = peekSafe(decoder)
    const isStep1 = syncType === SyncMessageType.Step1
    if (syncType === SyncMessageType.Step2 || syncType === SyncMessageType.Update) {
      // y-protocols catches a failing applyUpdate and only logs it (a console error, and a
      // socket we keep trusting): validate first so a bad update throws into guard() instead.
      const probe = decoding.clone(decoder)
      decoding.readVarUint(probe)
      Y.decodeUpdate(decoding.readVarUint8Array(probe))
    }
    stockSync?.(encoder, decoder, p, emitSynced, type)
    if (emitSynced && isStep1) hooks.onSyncStep1Answered()
  }
  handlers[MessageType.Auth] = (_encoder, decoder, p, emitSynced) => {
    authProtocol.readAuthMessage(decoder, p.doc, (_doc, reason) => {
      if (emitSynced) hooks.onPermissionDenied(reason)
    })
  }
  handlers[MessageType.SavedStateVector] = (_encoder, decoder, _p, emitSynced) => {
    if (emitSynced) hooks.onSavedStateReply(decoder)
  }
  handlers.forEach((handler, type) => {
    handlers[type] = guard(handler, hooks)
  })
}

function guard(handler: MessageHandler, hooks: MessageHooks): MessageHandler {
  return (encoder, decoder, provider, emitSynced, type) => {
    if (emitSynced) hooks.onFrame()
    try {
      handler(encoder, decoder, provider, emitSynced, type)
    } catch {
      // Discard any half-written reply so the provider sends nothing for this frame.
      resetEncoder(encoder)
      if (emitSynced) hooks.onBadFrame()
    }
  }
}

function resetEncoder(encoder: encoding.Encoder): void {
  encoder.cpos = 0
  encoder.bufs.length = 0
}

function peekSafe(decoder: decoding.Decoder): number | null {
  try {
    return decoding.peekVarUint(decoder)
  } catch {
    return null
  }
}

function positiveMs(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidSyncClientOptionError(option, value, 'a finite number of milliseconds > 0')
  }
  return value
}

function validateServerUrl(value: unknown): string {
  if (typeof value === 'string') {
    try {
      const protocol = new URL(value).protocol
      if (protocol === 'ws:' || protocol === 'wss:' || protocol === 'http:' || protocol === 'https:') return value
    } catch {
      // reported below
    }
  }
  throw new InvalidSyncClientOptionError('serverUrl', value, 'an absolute ws://, wss://, http:// or https:// URL')
}

function webSocketImplementation(polyfill: WebSocketConstructor | undefined): WebSocketConstructor {
  if (polyfill !== undefined) return polyfill
  if (typeof WebSocket === 'undefined') {
    throw new InvalidSyncClientOptionError('WebSocketPolyfill', polyfill, 'a WebSocket class (this runtime has no global one)')
  }
  return WebSocket
}

function defaultNetworkEvents(): NetworkEventSource | null {
  return typeof window !== 'undefined' && typeof window.addEventListener === 'function' ? window : null
}
