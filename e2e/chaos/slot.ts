// One page position in a chaos run. A slot keeps its letter; when its page is closed and a new
// one joins (a fresh browser context: no IndexedDB, a new Yjs client), the incarnation goes up and
// the new page writes its markers under a new writer id (`A1`, then `A2`…).
import type { Peer, Peers } from '../support/pages'
import { openDoc, waitForServiceWorker } from '../support/collab'
import { type ActionTarget, focusEditor } from './actions'
import type { MarkerLedger } from './ledger'
import { markerToken } from './markers'
import { drainProbe, installChaosProbe, installChaosProbeOnLoad } from './probe'

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

export class ChaosSlot implements ActionTarget {
  incarnation = 1
  offline = false
  private markerCounter = 0

  constructor(
    readonly index: number,
    public peer: Peer,
  ) {}

  static letterOf(index: number): string {
    return LETTERS[index % LETTERS.length] ?? 'Z'
  }

  get letter(): string {
    return ChaosSlot.letterOf(this.index)
  }

  /** The writer id this page's markers carry, e.g. `B2`. */
  get writer(): string {
    return `${this.letter}${this.incarnation}`
  }

  get page(): Peer['page'] {
    return this.peer.page
  }

  nextMarker(): string {
    this.markerCounter += 1
    return markerToken(this.writer, this.markerCounter)
  }

  /** Hands what the page's probe recorded to the ledger. */
  async drainInto(ledger: MarkerLedger): Promise<void> {
    ledger.record(this.writer, await drainProbe(this.page))
  }

  /** Opens the document online, lets the service worker take over if asked, installs the probe. */
  async open(docId: string, options: { serviceWorker: boolean }): Promise<void> {
    await installChaosProbeOnLoad(this.peer.context, this.writer)
    await openDoc(this.page, docId)
    if (options.serviceWorker) await waitForServiceWorker(this.page)
    await installChaosProbe(this.page, this.writer)
    await focusEditor(this.page)
  }

  /** Closes this page's context (its local data is gone) and opens the next incarnation. */
  async replace(peers: Peers, docId: string, options: { serviceWorker: boolean }): Promise<void> {
    await peers.close(this.peer)
    this.incarnation += 1
    this.markerCounter = 0
    this.offline = false
    this.peer = await peers.openOne(this.writer)
    await this.open(docId, options)
  }
}
