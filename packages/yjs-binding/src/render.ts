// Lines → ProseMirror. Exactly one leaf block per line, in order, whatever the lines say: text is
// never dropped, and anything the schema cannot hold is shown in the nearest form it can (an
// unknown block type as a paragraph, a container that does not fit as its bare content, marks
// a block does not allow left off). That keeps ProseMirror positions and Yjs offsets aligned.
import { Fragment } from 'prosemirror-model'
import type { Attrs, Mark, Node as PMNode, NodeType, Schema } from 'prosemirror-model'
import type { BlockData, ContainerData, Inline, MarkData } from './model'
import { jsonEqual } from './model'

/** Text shown for an inline atom the block cannot hold: a newline where the schema says so. */
const OBJECT_REPLACEMENT = '\uFFFC'

export interface RenderLine {
  readonly inline: readonly Inline[]
  readonly block: BlockData | null
}

/** Only the attributes the node type declares (peers may send anything). */
function pickAttrs(type: { spec: { attrs?: object | null } }, attrs: Readonly<Record<string, unknown>>): Attrs {
  const picked: Record<string, unknown> = {}
  for (const name of Object.keys(type.spec.attrs ?? {})) {
    if (Object.hasOwn(attrs, name)) picked[name] = attrs[name]
  }
  return picked
}

function buildMarks(schema: Schema, data: readonly MarkData[], parent: NodeType): readonly Mark[] {
  let marks: readonly Mark[] = []
  for (const entry of data) {
    const type = schema.marks[entry.type]
    if (type === undefined || !parent.allowsMarkType(type)) continue
    try {
      marks = type.create(pickAttrs(type, entry.attrs)).addToSet(marks)
    } catch {
      // A required attribute is missing: show the text without this mark.
    }
  }
  return marks
}

function defaultTextblock(schema: Schema): NodeType {
  const paragraph = schema.nodes.paragraph
  if (paragraph !== undefined && paragraph.isTextblock) return paragraph
  const found = Object.values(schema.nodes).find((type) => type.isTextblock)
  if (found === undefined) throw new Error('the schema has no textblock node type to render lines into')
  return found
}

function createSafely(type: NodeType, attrs: Readonly<Record<string, unknown>>, content?: Fragment): PMNode | null {
  try {
    return type.createChecked(pickAttrs(type, attrs), content)
  } catch {
    try {
      return type.createChecked(null, content)
    } catch {
      return null
    }
  }
}

function inlineNodes(schema: Schema, inline: readonly Inline[], parent: NodeType, atomsAsText: boolean): PMNode[] {
  const nodes: PMNode[] = []
  const breakText = schema.linebreakReplacement === null ? OBJECT_REPLACEMENT : '\n'
  for (const part of inline) {
    const marks = buildMarks(schema, part.marks, parent)
    if (part.kind === 'text') {
      if (part.text !== '') nodes.push(schema.text(part.text, marks))
      continue
    }
    const type = schema.nodes[part.type]
    const atom = !atomsAsText && type !== undefined && type.isInline && type.isLeaf ? createSafely(type, part.attrs) : null
    if (atom !== null) nodes.push(atom.mark(marks))
    else nodes.push(schema.text(type !== undefined && type === schema.linebreakReplacement ? breakText : OBJECT_REPLACEMENT, marks))
  }
  return nodes
}

/** The leaf block for one line. */
export function renderLeaf(schema: Schema, line: RenderLine): PMNode {
  const fallback = defaultTextblock(schema)
  let type = line.block === null ? fallback : (schema.nodes[line.block.type] ?? fallback)
  if (!type.isBlock || !(type.isTextblock || type.isLeaf)) type = fallback
  // A block atom (e.g. a rule) that somehow holds text shows the text instead.
  if (type.isLeaf && line.inline.length > 0) type = fallback
  const attrs = line.block !== null && type.name === line.block.type ? line.block.attrs : {}
  if (type.isLeaf) return createSafely(type, attrs) ?? fallback.create()
  for (const atomsAsText of [false, true]) {
    const content = Fragment.from(inlineNodes(schema, line.inline, type, atomsAsText))
    if (!type.validContent(content)) continue
    const node = createSafely(type, attrs, content)
    if (node !== null) return node
  }
  return fallback.create(null, Fragment.from(inlineNodes(schema, line.inline, fallback, true)))
}

interface OpenContainer {
  readonly data: ContainerData
  readonly children: PMNode[]
}

/** A line whose path holds `want` at some depth stays in the open container `have` there. */
function continues(want: ContainerData, have: ContainerData): boolean {
  return !want.start && want.type === have.type && jsonEqual(want.attrs, have.attrs)
}

/** The document for `lines`: containers regrouped from each line's path. */
export function renderDoc(schema: Schema, lines: readonly RenderLine[], leafOf = (line: RenderLine) => renderLeaf(schema, line)): PMNode {
  const root = renderBlocks(schema, lines, leafOf)
  const doc = createSafely(schema.topNodeType, {}, Fragment.from(root))
  if (doc !== null) return doc
  // The containers do not fit the document at all: show the blocks without them. (Blocks are
  // never changed by where they sit: the binding reuses them across renders.)
  const leaves: PMNode[] = []
  const collect = (node: PMNode): void => {
    if (node.isTextblock || node.isLeaf) leaves.push(node)
    else node.forEach(collect)
  }
  root.forEach(collect)
  return schema.topNodeType.create(null, leaves)
}

/**
 * The top-level blocks for `lines`, as `renderDoc` puts them in the document. Lines group into
 * containers only with their neighbours, so the blocks of a run of lines that starts a group (see
 * `startsGroup`) and is followed by a line that starts one are the same wherever the run sits.
 */
export function renderBlocks(schema: Schema, lines: readonly RenderLine[], leafOf = (line: RenderLine) => renderLeaf(schema, line)): PMNode[] {
  const root: PMNode[] = []
  const open: OpenContainer[] = []
  const close = (): void => {
    const entry = open.pop()
    if (entry === undefined) return
    const parent = open.at(-1)?.children ?? root
    const type = schema.nodes[entry.data.type]
    const children = type === undefined ? entry.children : fitChildren(type, entry.children)
    const node = type === undefined || type.isLeaf || type.isTextblock ? null : createSafely(type, entry.data.attrs, Fragment.from(children))
    // A container that cannot hold what it got is dropped; its content stays.
    if (node === null) parent.push(...children)
    else parent.push(node)
  }
  for (const line of lines) {
    const path = line.block?.path ?? []
    let depth = 0
    while (depth < open.length && depth < path.length) {
      if (!continues(path[depth] as ContainerData, (open[depth] as OpenContainer).data)) break
      depth++
    }
    while (open.length > depth) close()
    for (let level = depth; level < path.length; level++) open.push({ data: path[level] as ContainerData, children: [] })
    const leaf = leafOf(line)
    ;(open.at(-1)?.children ?? root).push(leaf)
  }
  while (open.length > 0) close()
  return fitChildren(schema.topNodeType, root)
}

/** Whether line `line` opens a new top-level group after `previous` (null: it is the first line). */
export function startsGroup(previous: RenderLine | null, line: RenderLine): boolean {
  const want = line.block?.path[0]
  const have = previous?.block?.path[0]
  return want === undefined || have === undefined || !continues(want, have)
}

/** Unwraps the containers `type` cannot hold as children (e.g. a list item outside a list). */
function fitChildren(type: NodeType, children: PMNode[]): PMNode[] {
  let current = children
  for (let round = 0; round < 8 && !type.validContent(Fragment.from(current)); round++) {
    let changed = false
    const next: PMNode[] = []
    for (const child of current) {
      if (!child.isTextblock && !child.isLeaf && type.contentMatch.matchType(child.type) === null) {
        child.forEach((grandchild) => next.push(grandchild))
        changed = true
      } else {
        next.push(child)
      }
    }
    if (!changed) break
    current = next
  }
  return current
}
