import { Schema } from 'prosemirror-model'
import type { DOMOutputSpec, MarkSpec, NodeSpec, TagParseRule } from 'prosemirror-model'
import { sanitizeHref } from './href'

/** Heading levels the schema has; pasted h4–h6 become level 3. */
export type HeadingLevel = 1 | 2 | 3
export const headingLevels: readonly HeadingLevel[] = [1, 2, 3]

/** Clamp any value (remote documents may carry anything) to a valid heading level. */
export function toHeadingLevel(value: unknown): HeadingLevel {
  const n = typeof value === 'number' ? Math.trunc(value) : Number.parseInt(String(value), 10)
  if (!Number.isFinite(n) || n <= 1) return 1
  return n >= 3 ? 3 : (n as HeadingLevel)
}

function toListStart(value: unknown): number {
  const n = typeof value === 'number' ? value : Number.parseInt(String(value), 10)
  return Number.isSafeInteger(n) && n >= 0 ? n : 1
}

const headingParseRules: TagParseRule[] = [1, 2, 3, 4, 5, 6].map((tagLevel) => ({
  tag: `h${tagLevel}`,
  attrs: { level: toHeadingLevel(tagLevel) },
}))

const nodes = {
  doc: { content: 'block+' },
  paragraph: {
    content: 'inline*',
    group: 'block',
    parseDOM: [{ tag: 'p' }],
    toDOM: (): DOMOutputSpec => ['p', 0],
  },
  heading: {
    attrs: { level: { default: 1 } },
    content: 'inline*',
    group: 'block',
    defining: true,
    parseDOM: headingParseRules,
    // Attributes can arrive from a peer through Yjs without passing parseDOM, so clamp here too.
    toDOM: (node): DOMOutputSpec => [`h${toHeadingLevel(node.attrs.level)}`, 0],
  },
  blockquote: {
    content: 'block+',
    group: 'block',
    defining: true,
    parseDOM: [{ tag: 'blockquote' }],
    toDOM: (): DOMOutputSpec => ['blockquote', 0],
  },
  code_block: {
    content: 'text*',
    marks: '',
    group: 'block',
    code: true,
    defining: true,
    parseDOM: [{ tag: 'pre', preserveWhitespace: 'full' }],
    toDOM: (): DOMOutputSpec => ['pre', ['code', 0]],
  },
  horizontal_rule: {
    group: 'block',
    parseDOM: [{ tag: 'hr' }],
    toDOM: (): DOMOutputSpec => ['hr'],
  },
  bullet_list: {
    content: 'list_item+',
    group: 'block',
    parseDOM: [{ tag: 'ul' }],
    toDOM: (): DOMOutputSpec => ['ul', 0],
  },
  ordered_list: {
    attrs: { order: { default: 1 } },
    content: 'list_item+',
    group: 'block',
    parseDOM: [
      {
        tag: 'ol',
        getAttrs: (dom) => ({ order: dom.hasAttribute('start') ? toListStart(dom.getAttribute('start')) : 1 }),
      },
    ],
    toDOM: (node): DOMOutputSpec => {
      const order = toListStart(node.attrs.order)
      return order === 1 ? ['ol', 0] : ['ol', { start: String(order) }, 0]
    },
  },
  list_item: {
    content: 'paragraph block*',
    defining: true,
    parseDOM: [{ tag: 'li' }],
    toDOM: (): DOMOutputSpec => ['li', 0],
  },
  text: { group: 'inline' },
  hard_break: {
    inline: true,
    group: 'inline',
    selectable: false,
    // Lets setBlockType turn hard breaks into "\n" when a paragraph becomes a code block.
    linebreakReplacement: true,
    parseDOM: [{ tag: 'br' }],
    toDOM: (): DOMOutputSpec => ['br'],
  },
} satisfies Record<string, NodeSpec>

const marks = {
  link: {
    attrs: { href: {}, title: { default: null } },
    inclusive: false,
    parseDOM: [
      {
        tag: 'a[href]',
        // Returning false drops the mark but keeps the text: an unsafe link becomes plain text.
        getAttrs: (dom) => {
          const href = sanitizeHref(dom.getAttribute('href'))
          if (href === null) return false
          const title = dom.getAttribute('title')
          return { href, title: title === null || title === '' ? null : title }
        },
      },
    ],
    // Marks can also arrive from a peer through Yjs; never render an unsafe href whatever its origin.
    toDOM: (mark): DOMOutputSpec => {
      const href = sanitizeHref(mark.attrs.href)
      const attrs: Record<string, string> = { rel: 'noopener noreferrer nofollow' }
      if (href !== null) attrs.href = href
      if (typeof mark.attrs.title === 'string' && mark.attrs.title !== '') attrs.title = mark.attrs.title
      return ['a', attrs, 0]
    },
  },
  strong: {
    parseDOM: [
      { tag: 'strong' },
      // Google Docs wraps whole pastes in <b style="font-weight:normal">.
      { tag: 'b', getAttrs: (dom) => dom.style.fontWeight !== 'normal' && null },
      { style: 'font-weight=400', clearMark: (m) => m.type.name === 'strong' },
      {
        style: 'font-weight',
        getAttrs: (value) => /^(bold(er)?|[5-9]\d{2,})$/.test(value) && null,
      },
    ],
    toDOM: (): DOMOutputSpec => ['strong', 0],
  },
  em: {
    parseDOM: [
      { tag: 'i' },
      { tag: 'em' },
      { style: 'font-style=italic' },
      { style: 'font-style=normal', clearMark: (m) => m.type.name === 'em' },
    ],
    toDOM: (): DOMOutputSpec => ['em', 0],
  },
  strike: {
    parseDOM: [
      { tag: 's' },
      { tag: 'del' },
      { tag: 'strike' },
      { style: 'text-decoration=line-through' },
      { style: 'text-decoration-line=line-through' },
    ],
    toDOM: (): DOMOutputSpec => ['s', 0],
  },
  code: {
    // Tells input rules (inCodeMark) and other tooling that this mark holds code.
    code: true,
    parseDOM: [{ tag: 'code' }],
    toDOM: (): DOMOutputSpec => ['code', 0],
  },
} satisfies Record<string, MarkSpec>

/** Node names of the schema. */
export type EditorNodeName = keyof typeof nodes
/** Mark names of the schema. */
export type EditorMarkName = keyof typeof marks
/** The schema type; `schema.nodes.heading` etc. are typed without `| undefined`. */
export type EditorSchema = Schema<EditorNodeName, EditorMarkName>

/** The document schema shared by the web app, tests and any server-side tooling. */
export const schema: EditorSchema = new Schema({ nodes, marks })
