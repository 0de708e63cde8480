// Anti-entropy for one document between relays: Redis pub/sub loses messages (a reconnect, a
// restart), so every relay announces its state vector (on load, after a reconnect, and
// periodically) and peers answer with exactly what it lacks.
//
// What crosses the bus, and why it stays small (Hocuspocus published full sync step 2 replies,
// whole delete sets, to every instance on every sync):
// - a STATE is a state vector plus a 16-byte digest of the delete set;
// - a peer replies with a DIFF only when it has structs the announcer lacks (state vectors
//   compared first), jittered, and skipped when another relay's DIFF to the same target already
//   covered it; the DIFF is `encodeStateAsUpdate(doc, theirStateVector)`, whose delete set is
//   needed to mark the missing structs that are already deleted;
// - a deletion alone does not move the state vector, so a lost delete-only update shows up as
//   equal state vectors with different digests: then (only then) each side sends its delete set
//   (an update without structs). That costs at most one delete-set exchange per interval, and
//   stops as soon as the digests agree.
import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import * as Y from 'yjs'
import type { TimerHandle, Timers } from '../timers'
import type { ClusterMessage } from './wire'

export interface AntiEntropyOptions {
  docId: string
  doc: Y.Doc
  relayId: string
  timers: Timers
  random: () => number
  logger: FastifyBaseLogger
  /** Periodic STATE announcements, jittered by ±25 %. */
  intervalMs: number
  /** Largest DIFF published; larger ones are skipped with a warning (Redis output buffers). */
  maxDiffBytes: number
  /** Only announce and answer while the document is fully loaded. */
  isReady(): boolean
  publish(message: ClusterMessage): void
}

/** Replies wait a random 0–this long, so several relays rarely answer the same STATE twice. */
const REPLY_JITTER_MS = 25

type StateVector = Map<number, number>

interface PendingReply {
  /** What the target has, as far as we know (its STATE plus DIFFs others sent it since). */
  covered: StateVector
  timer: TimerHandle
}

/** The document's state vector as a map (client id → next clock). */
export function stateVectorOf(doc: Y.Doc): StateVector {
  return Y.decodeStateVector(Y.encodeStateVector(doc))
}

/** True when `a` has structs `b` lacks (some client's clock is higher in `a`). */
export function hasStructsMissingFrom(a: StateVector, b: StateVector): boolean {
  for (const [client, clock] of a) if (clock > (b.get(client) ?? 0)) return true
  return false
}

function mergeInto(target: StateVector, source: StateVector): void {
  for (const [client, clock] of source) if (clock > (target.get(client) ?? 0)) target.set(client, clock)
}

/**
 * Adds what `update` brings to `covered`: for each client, its structs run from `from` to `to`,
 * which extends what the target has when they start at or before its clock.
 */
function extendCoverage(covered: StateVector, update: Uint8Array): void {
  const { from, to } = Y.parseUpdateMeta(update)
  for (const [client, end] of to) {
    const has = covered.get(client) ?? 0
    if ((from.get(client) ?? 0) <= has && end > has) covered.set(client, end)
  }
}

/**
 * A 16-byte digest of the document's delete set and state vector. Yjs encodes both canonically
 * (delete ranges merged, clients sorted), so equal documents have equal digests.
 */
export function deleteSetDigest(doc: Y.Doc): Uint8Array {
  return createHash('sha256').update(Y.encodeSnapshot(Y.snapshot(doc))).digest().subarray(0, 16)
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, index) => byte === b[index])
}

/** One document's anti-entropy state machine (timers, pending replies). */
export class AntiEntropy {
  private periodicTimer: TimerHandle | null = null
  private announceTimer: TimerHandle | null = null
  private lastAnnounceMs = Number.NEGATIVE_INFINITY
  private readonly replies = new Map<string, PendingReply>()
  private readonly deleteSetReplies = new Map<string, TimerHandle>()
  private changeCount = 0
  private digestCache: { changeCount: number; digest: Uint8Array } | null = null
  private stopped = false
  /** A pull (our STATE, sent because a peer is ahead) waits at least this long after the last. */
  private readonly pullMinIntervalMs: number

  constructor(private readonly options: AntiEntropyOptions) {
    this.pullMinIntervalMs = Math.min(500, options.intervalMs / 4)
    options.doc.on('update', this.onDocUpdate)
  }

  /** The document is loaded: say hello (peers answer) and start the periodic announcements. */
  start(): void {
    if (this.stopped) return
    this.announce(true)
    this.schedulePeriodic()
  }

  /** Publishes this relay's STATE now; `hello` asks every peer to answer with theirs. */
  announce(hello: boolean): void {
    if (this.stopped || !this.options.isReady()) return
    this.cancel(this.announceTimer)
    this.announceTimer = null
    this.lastAnnounceMs = this.options.timers.now()
    this.options.publish({
      kind: 'state',
      origin: this.options.relayId,
      hello,
      stateVector: Y.encodeStateVector(this.options.doc),
      digest: this.digest(),
    })
  }

  /** A peer's STATE. Throws when its state vector does not decode (the caller logs it). */
  onState(from: string, encodedStateVector: Uint8Array, digest: Uint8Array, hello: boolean): void {
    if (this.stopped || !this.options.isReady()) return
    const theirs = Y.decodeStateVector(encodedStateVector)
    const mine = stateVectorOf(this.options.doc)
    const iHaveMore = hasStructsMissingFrom(mine, theirs)
    const theyHaveMore = hasStructsMissingFrom(theirs, mine)
    if (iHaveMore) this.scheduleReply(from, theirs)
    else if (!theyHaveMore && !equalBytes(digest, this.digest())) this.scheduleDeleteSetReply(from)
    // Pull: our STATE makes the peer send what we lack. A hello also wants our STATE.
    if (theyHaveMore || hello) this.requestAnnounce()
  }

  /** A DIFF some relay sent (already applied): forget replies it made unnecessary. */
  onDiff(from: string, target: string, update: Uint8Array): void {
    if (this.stopped || target === this.options.relayId || from === this.options.relayId) return
    const pending = this.replies.get(target)
    if (pending !== undefined) extendCoverage(pending.covered, update)
    const deleteSetReply = this.deleteSetReplies.get(target)
    if (deleteSetReply !== undefined) {
      this.cancel(deleteSetReply)
      this.deleteSetReplies.delete(target)
    }
  }

  stop(): void {
    this.stopped = true
    this.options.doc.off('update', this.onDocUpdate)
    this.cancel(this.periodicTimer)
    this.cancel(this.announceTimer)
    for (const pending of this.replies.values()) this.cancel(pending.timer)
    for (const timer of this.deleteSetReplies.values()) this.cancel(timer)
    this.replies.clear()
    this.deleteSetReplies.clear()
  }

  private readonly onDocUpdate = (): void => {
    this.changeCount++
  }

  private digest(): Uint8Array {
    if (this.digestCache === null || this.digestCache.changeCount !== this.changeCount) {
      this.digestCache = { changeCount: this.changeCount, digest: deleteSetDigest(this.options.doc) }
    }
    return this.digestCache.digest
  }

  private jitterMs(): number {
    return this.options.random() * REPLY_JITTER_MS
  }

  private schedulePeriodic(): void {
    const { intervalMs, timers, random } = this.options
    this.periodicTimer = timers.setTimeout(() => {
      this.periodicTimer = null
      if (this.stopped) return
      this.announce(false)
      this.schedulePeriodic()
    }, intervalMs * (0.75 + 0.5 * random()))
  }

  private requestAnnounce(): void {
    if (this.announceTimer !== null) return
    const waitMs = Math.max(0, this.lastAnnounceMs + this.pullMinIntervalMs - this.options.timers.now())
    this.announceTimer = this.options.timers.setTimeout(() => {
      this.announceTimer = null
      this.announce(false)
    }, waitMs + this.jitterMs())
  }

  private scheduleReply(target: string, theirs: StateVector): void {
    const pending = this.replies.get(target)
    if (pending !== undefined) {
      mergeInto(pending.covered, theirs)
      return
    }
    const timer = this.options.timers.setTimeout(() => this.sendReply(target), this.jitterMs())
    this.replies.set(target, { covered: new Map(theirs), timer })
  }

  private sendReply(target: string): void {
    const pending = this.replies.get(target)
    this.replies.delete(target)
    if (pending === undefined || this.stopped || !this.options.isReady()) return
    if (!hasStructsMissingFrom(stateVectorOf(this.options.doc), pending.covered)) return
    this.publishDiff(target, Y.encodeStateAsUpdate(this.options.doc, Y.encodeStateVector(pending.covered)))
  }

  private scheduleDeleteSetReply(target: string): void {
    if (this.deleteSetReplies.has(target)) return
    const timer = this.options.timers.setTimeout(() => {
      this.deleteSetReplies.delete(target)
      if (this.stopped || !this.options.isReady()) return
      // Against our own full state vector: no structs, just the delete set.
      this.publishDiff(target, Y.encodeStateAsUpdate(this.options.doc, Y.encodeStateVector(this.options.doc)))
    }, this.jitterMs())
    this.deleteSetReplies.set(target, timer)
  }

  private publishDiff(target: string, update: Uint8Array): void {
    const { maxDiffBytes, logger, docId } = this.options
    if (update.byteLength > maxDiffBytes) {
      logger.warn({ docId, target, bytes: update.byteLength, maxDiffBytes }, 'anti-entropy diff too large for pub/sub; not sent')
      return
    }
    this.options.publish({ kind: 'diff', origin: this.options.relayId, target, update })
  }

  private cancel(timer: TimerHandle | null): void {
    if (timer !== null) this.options.timers.clearTimeout(timer)
  }
}
