// The whole schedule of a chaos run, drawn from its seed before any browser starts: each page's
// script of user actions and the faults. Executing it depends on timing (what a page sees when it
// acts), so the same seed gives the same schedule, not the same document.
import { Random } from './prng'

export type MoveHow = 'left' | 'right' | 'up' | 'down' | 'home' | 'end' | 'doc-start' | 'doc-end' | 'click'
export type BlockTarget =
  | 'paragraph'
  | 'heading-1'
  | 'heading-2'
  | 'heading-3'
  | 'bullet-list'
  | 'ordered-list'
  | 'blockquote'
  | 'code-block'
  | 'horizontal-rule'
export type MarkName = 'bold' | 'italic' | 'strike' | 'code'
export type PasteShape = 'plain' | 'html-inline' | 'html-blocks'
export type Via = 'key' | 'toolbar'

/** One user action. Positions are fractions or counts, resolved against the live document. */
export type ActionSpec =
  | { kind: 'type'; text: string; keyDelayMs: number }
  | { kind: 'marker' }
  | { kind: 'paste'; shape: PasteShape; words: string[]; withMarker: boolean }
  | { kind: 'enter' }
  | { kind: 'move'; how: MoveHow; count: number; fraction: number }
  | { kind: 'delete'; direction: 'backward' | 'forward'; length: number }
  | { kind: 'join' }
  | { kind: 'block'; target: BlockTarget }
  | { kind: 'mark'; mark: MarkName; via: Via; length: number; thenType: string }
  | { kind: 'undo'; via: Via }
  | { kind: 'redo'; via: Via }

export type ActionKind = ActionSpec['kind']

/**
 * Faults. Page faults happen between two of that page's actions (`atAction` = index of the action
 * they precede); the relay crash happens when the run as a whole has done `atProgress` of its actions.
 */
export type FaultSpec =
  | { kind: 'offline'; slot: number; atAction: number; forActions: number }
  | { kind: 'offline-reload'; slot: number; atAction: number; forActions: number; reloadAfterActions: number }
  | { kind: 'reload'; slot: number; atAction: number }
  | { kind: 'replace'; slot: number; atAction: number }
  | { kind: 'relay-kill'; atProgress: number; downMs: number }

export type FaultKind = FaultSpec['kind']
export type PageFault = Exclude<FaultSpec, { kind: 'relay-kill' }>

export interface PlanOptions {
  seed: number
  pages: number
  actionsPerPage: number
  /** How many faults to draw. */
  faultCount: number
}

export interface ChaosPlan extends PlanOptions {
  /** `scripts[slot]` = that page's actions, in order. */
  scripts: ActionSpec[][]
  faults: FaultSpec[]
}

const WORDS = [
  'apple', 'brook', 'cedar', 'delta', 'ember', 'fjord', 'grove', 'harbor', 'island', 'jasper',
  'kettle', 'lantern', 'meadow', 'nectar', 'orchid', 'pebble', 'quartz', 'river', 'saffron', 'thistle',
  'umber', 'violet', 'willow', 'yarrow', 'zephyr', 'amber', 'birch', 'clover', 'dune', 'elm',
] as const

const ACTION_WEIGHTS: Record<ActionKind, number> = {
  type: 24,
  marker: 11,
  paste: 5,
  enter: 9,
  move: 14,
  delete: 8,
  join: 5,
  block: 7,
  mark: 6,
  undo: 6,
  redo: 3,
}

const BLOCK_WEIGHTS: Record<BlockTarget, number> = {
  paragraph: 4,
  'heading-1': 2,
  'heading-2': 2,
  'heading-3': 1,
  'bullet-list': 3,
  'ordered-list': 2,
  blockquote: 1,
  'code-block': 1,
  'horizontal-rule': 1,
}

const MOVE_WEIGHTS: Record<MoveHow, number> = {
  left: 3,
  right: 3,
  up: 2,
  down: 2,
  home: 2,
  end: 2,
  'doc-start': 1,
  'doc-end': 2,
  click: 4,
}

function words(random: Random, min: number, max: number): string[] {
  return Array.from({ length: random.int(min, max) }, () => random.pick(WORDS))
}

function drawAction(random: Random): ActionSpec {
  const kind = random.weighted(ACTION_WEIGHTS)
  switch (kind) {
    case 'type':
      return { kind, text: `${random.chance(0.5) ? ' ' : ''}${words(random, 1, 3).join(' ')} `, keyDelayMs: random.int(0, 12) }
    case 'marker':
    case 'enter':
    case 'join':
      return { kind }
    case 'paste':
      return {
        kind,
        shape: random.weighted<PasteShape>({ plain: 2, 'html-inline': 2, 'html-blocks': 1 }),
        words: words(random, 2, 6),
        withMarker: random.chance(0.5),
      }
    case 'move':
      return { kind, how: random.weighted(MOVE_WEIGHTS), count: random.int(1, 12), fraction: random.next() }
    case 'delete':
      return { kind, direction: random.chance(0.7) ? 'backward' : 'forward', length: random.int(1, 14) }
    case 'block':
      return { kind, target: random.weighted(BLOCK_WEIGHTS) }
    case 'mark':
      return {
        kind,
        mark: random.weighted<MarkName>({ bold: 3, italic: 3, strike: 1, code: 1 }),
        via: random.chance(0.5) ? 'key' : 'toolbar',
        length: random.chance(0.3) ? 0 : random.int(1, 10),
        thenType: `${words(random, 1, 2).join(' ')} `,
      }
    case 'undo':
    case 'redo':
      return { kind, via: random.chance(0.7) ? 'key' : 'toolbar' }
  }
}

function faultWindow(fault: PageFault): [number, number] {
  switch (fault.kind) {
    case 'offline':
    case 'offline-reload':
      return [fault.atAction, fault.atAction + fault.forActions]
    case 'reload':
    case 'replace':
      return [fault.atAction, fault.atAction + 1]
  }
}

function drawPageFault(random: Random, kind: PageFault['kind'], options: PlanOptions): PageFault {
  const slot = random.int(0, options.pages - 1)
  const last = Math.max(2, options.actionsPerPage - 4)
  const atAction = random.int(Math.min(3, last), last)
  const room = Math.max(1, options.actionsPerPage - atAction - 1)
  switch (kind) {
    case 'offline':
      return { kind, slot, atAction, forActions: Math.min(room, random.int(4, 12)) }
    case 'offline-reload': {
      const forActions = Math.min(room, random.int(5, 14))
      return { kind, slot, atAction, forActions, reloadAfterActions: random.int(1, Math.max(1, forActions - 1)) }
    }
    case 'reload':
    case 'replace':
      return { kind, slot, atAction }
  }
}

/**
 * Draws a plan. With `faults` ≥ 2 there is always one relay crash and one offline reload (the
 * faults the suite exists for); the rest are drawn from offline, offline reload, reload and
 * replace. A page's faults never overlap, so each fault starts from a healthy page.
 */
export function drawPlan(options: PlanOptions): ChaosPlan {
  const root = new Random(options.seed)
  const scripts = Array.from({ length: options.pages }, (_, slot) => {
    const random = root.fork(`page-${slot}`)
    return Array.from({ length: options.actionsPerPage }, () => drawAction(random))
  })

  const random = root.fork('faults')
  const faults: FaultSpec[] = []
  if (options.faultCount >= 1) faults.push({ kind: 'relay-kill', atProgress: 0.25 + random.next() * 0.5, downMs: random.int(1_000, 4_000) })
  const wanted: Array<PageFault['kind']> = []
  if (options.faultCount >= 2) wanted.push('offline-reload')
  while (wanted.length < options.faultCount - 1) {
    wanted.push(random.weighted<PageFault['kind']>({ offline: 3, 'offline-reload': 2, reload: 2, replace: 2 }))
  }
  const taken: Array<{ slot: number; window: [number, number] }> = []
  for (const kind of wanted) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const fault = drawPageFault(random, kind, options)
      const [start, end] = faultWindow(fault)
      const clash = taken.some(({ slot, window }) => slot === fault.slot && start <= window[1] && window[0] <= end)
      if (clash) continue
      taken.push({ slot: fault.slot, window: [start, end] })
      faults.push(fault)
      break
    }
  }
  return { ...options, scripts, faults }
}

/** Short description of an action for the action log, e.g. `block:heading-2`, `delete:backward/6`. */
export function describeAction(spec: ActionSpec): string {
  switch (spec.kind) {
    case 'block':
      return `block:${spec.target}`
    case 'mark':
      return `mark:${spec.mark}/${spec.via}/${spec.length}`
    case 'move':
      return `move:${spec.how}`
    case 'delete':
      return `delete:${spec.direction}/${spec.length}`
    case 'paste':
      return `paste:${spec.shape}${spec.withMarker ? '+marker' : ''}`
    case 'undo':
    case 'redo':
      return `${spec.kind}/${spec.via}`
    case 'type':
    case 'marker':
    case 'enter':
    case 'join':
      return spec.kind
  }
}

/** Counts by kind, for the report. */
export function countByKind<T extends { kind: string }>(items: Iterable<T>): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) counts[item.kind] = (counts[item.kind] ?? 0) + 1
  return counts
}
