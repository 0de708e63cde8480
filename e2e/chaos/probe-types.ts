// Types shared by the in-page probe (probe-page.ts) and the test side (probe.ts).

export type TransactionCause = 'local' | 'undo' | 'redo' | 'remote' | 'other'

/** A marker count changed: it went down, or went up to a second copy, or a new one appeared locally. */
export interface MarkerEvent {
  atMs: number
  marker: string
  before: number
  after: number
  cause: TransactionCause
  /** For a removal: the elements around the text it was in, and which of them are now deleted. */
  where?: string
  /** For a removal: the text around the marker just before. */
  context?: string
  /**
   * The marker's text came in from a remote update already deleted: it was typed into a block
   * that this page had already seen deleted (before = after = 0).
   */
  arrivedDeleted?: boolean
  /**
   * This page's own transaction deleted the marker's characters (before = after = 0: the count
   * change, if the page could see the marker, is a separate event).
   */
  deletedHere?: boolean
}

export interface GuardRefusal {
  atMs: number
  what: string
}

export interface ProbeDrain {
  events: MarkerEvent[]
  refusals: GuardRefusal[]
}

export interface CaretInfo {
  /** The editor has the keyboard focus. */
  focused: boolean
  /** Selection is a collapsed text cursor inside a textblock. */
  collapsed: boolean
  inTextblock: boolean
  /** Offset of the cursor inside its textblock, and the block's content length. */
  offset: number
  blockLength: number
  /** Characters between the cursor and the end of the marker it sits in (0 = not inside one). */
  insideMarkerBy: number
}

export interface ClickPoint {
  x: number
  y: number
}

export interface ProbeConfig {
  writer: string
  markerPattern: string
}

/** The probe as the page exposes it on `window.__chaos`. */
export interface ChaosProbe {
  writer: string
  view: unknown
  refusalTotal: number
  localSeen: Set<string>
  drain(): ProbeDrain
  countOf(marker: string): number
  counts(): Record<string, number>
  caret(): CaretInfo
  safeSpan(direction: 'backward' | 'forward', wanted: number): number
  clickPoint(fraction: number): ClickPoint | null
  paste(html: string, text: string): boolean
  canUndo(): boolean
  canRedo(): boolean
  uninstall(): void
}

declare global {
  interface Window {
    __chaos?: ChaosProbe
  }
}
