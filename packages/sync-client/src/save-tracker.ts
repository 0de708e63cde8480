import { stateVectorCovers, type StateVector } from './status'

/** What the tracker remembers across reloads (stored beside the IndexedDB replica). */
export interface SavedState {
  pendingChanges: number
  /** The relay's state vector from its last confirmation, if any. */
  savedStateVector: StateVector | null
}

/** Outcome of one `[100, stateVector]` reply. */
export interface ReplyOutcome {
  /** The relay lacks something this device must have saved: send it the difference. */
  relayIsMissingData: boolean
}

/**
 * Bookkeeping for "is every local change durable on the relay?".
 *
 * Counting transactions catches what a state vector cannot (a delete-only transaction does not
 * advance it); comparing state vectors catches what counting cannot (a relay that lost data).
 * A confirmation needs both: the relay answers `[100]` requests in order, once everything it
 * received before the request is durable, so a reply covers the local transactions that had
 * gone out on that socket when the request was sent.
 */
export class SaveTracker {
  /** Local transactions ever counted (plus the restored backlog). */
  private localSeq = 0
  /** localSeq value that the relay has confirmed. */
  private confirmedSeq = 0
  /** Entries this device must see in the relay's state vector (local edits + replica contents). */
  private readonly mustHave: StateVector = new Map()
  private relayStateVector: StateVector | null = null
  /** Everything counted so far has been written to the current socket. */
  private allSent = false
  /** Outstanding requests on the current socket, oldest first. */
  private readonly requests: Array<{ seq: number; mustHave: StateVector }> = []

  /** A transaction changed the document; `counted` for local edits, false for replica loads. */
  noteChange(beforeState: StateVector, afterState: StateVector, counted: boolean): void {
    for (const [clientId, clock] of afterState) {
      if (beforeState.get(clientId) !== clock && (this.mustHave.get(clientId) ?? 0) < clock) {
        this.mustHave.set(clientId, clock)
      }
    }
    if (counted) this.localSeq++
  }

  /** Seeds the tracker from the stored state after the replica loaded. */
  restore(saved: SavedState): void {
    this.localSeq += saved.pendingChanges
    if (this.relayStateVector === null) this.relayStateVector = saved.savedStateVector
  }

  /** The client's full state went out on the current socket (sync step 2 sent). */
  markAllSent(): void {
    this.allSent = true
  }

  /** The socket closed: requests on it will never be answered. */
  resetConnection(): void {
    this.allSent = false
    this.requests.length = 0
  }

  /** Call when a `[100]` request is written to the socket. */
  noteRequestSent(): void {
    this.requests.push({ seq: this.allSent ? this.localSeq : -1, mustHave: new Map(this.mustHave) })
  }

  /** A `[100]` reply arrived; `relayStateVector` null when it was malformed. */
  noteReply(relayStateVector: StateVector | null): ReplyOutcome {
    const request = this.requests.shift()
    if (relayStateVector === null) return { relayIsMissingData: false }
    this.relayStateVector = relayStateVector
    // Judge against what had gone out when the request was sent: later edits are still in flight.
    if (request === undefined || request.seq < 0) return { relayIsMissingData: false }
    if (!stateVectorCovers(relayStateVector, request.mustHave)) return { relayIsMissingData: true }
    if (request.seq > this.confirmedSeq) this.confirmedSeq = request.seq
    return { relayIsMissingData: false }
  }

  get allSaved(): boolean {
    return this.localSeq === this.confirmedSeq && this.relayCoversMustHave()
  }

  /** Unconfirmed local transactions; at least 1 whenever not everything is saved. */
  get pendingChanges(): number {
    const counted = this.localSeq - this.confirmedSeq
    return counted === 0 && !this.relayCoversMustHave() ? 1 : counted
  }

  get savedState(): SavedState {
    return { pendingChanges: this.pendingChanges, savedStateVector: this.relayStateVector }
  }

  private relayCoversMustHave(): boolean {
    return stateVectorCovers(this.relayStateVector ?? new Map(), this.mustHave)
  }
}
