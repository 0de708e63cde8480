import {
  ellipsis,
  InputRule,
  smartQuotes,
  textblockTypeInputRule,
  wrappingInputRule,
} from 'prosemirror-inputrules'
import { Fragment } from 'prosemirror-model'
import type { MarkType } from 'prosemirror-model'
import { TextSelection } from 'prosemirror-state'
import type { EditorSchema } from './schema'

/**
 * An input rule that turns delimited text into marked text, e.g. `**bold**` → **bold**.
 * `pattern` must end with `$` and capture the text to mark in group 1; the rule fires when the
 * last character of the closing delimiter is typed. The delimiters are removed and the mark is
 * not carried on to the text typed next. Does not fire where the mark is not allowed or inside
 * inline code.
 */
export function markInputRule(pattern: RegExp, markType: MarkType): InputRule {
  return new InputRule(
    pattern,
    (state, match, start, end) => {
      const content = match[1]
      if (content === undefined || content.length === 0) return null
      const $start = state.doc.resolve(start)
      if (!$start.parent.type.allowsMarkType(markType)) return null
      const contentStart = start + match[0].indexOf(content)
      const contentEnd = contentStart + content.length
      const tr = state.tr
      // Later range first so earlier positions stay valid.
      if (end > contentEnd) tr.delete(contentEnd, end)
      if (contentStart > start) tr.delete(start, contentStart)
      const markedEnd = start + content.length
      tr.addMark(start, markedEnd, markType.create()).removeStoredMark(markType)
      return tr
    },
    { inCodeMark: false },
  )
}

/** `---` typed as the whole content of a paragraph: replace it with a rule and a fresh paragraph. */
function horizontalRuleRule(schema: EditorSchema): InputRule {
  return new InputRule(/^---$/, (state, _match, start, end) => {
    const $start = state.doc.resolve(start)
    const paragraph = $start.parent
    if (paragraph.type !== schema.nodes.paragraph || end !== $start.end()) return null
    const replacement = Fragment.from([schema.nodes.horizontal_rule.create(), schema.nodes.paragraph.create()])
    const container = $start.node(-1)
    const index = $start.index(-1)
    if (!container.canReplace(index, index + 1, replacement)) return null
    const tr = state.tr.replaceWith($start.before(), $start.after(), replacement)
    const afterRule = $start.before() + replacement.child(0).nodeSize + 1
    return tr.setSelection(TextSelection.create(tr.doc, afterRule))
  })
}

/** Options for `buildInputRules`. */
export interface InputRuleOptions {
  /** Smart quotes and `...` → `…`. Off by default: it surprises people typing code-like text. */
  typography?: boolean
}

/**
 * Markdown-style rules: `# `…`### ` headings, `- `/`* `/`+ ` bullet list, `1. ` ordered list
 * (keeps the start number), `> ` blockquote, three backticks code block, `---` rule, and the mark
 * rules `**bold**`/`__bold__`, `*italic*`/`_italic_`, `~~strike~~`, `` `code` ``.
 */
export function buildInputRules(schema: EditorSchema, options: InputRuleOptions = {}): InputRule[] {
  const { nodes, marks } = schema
  const rules: InputRule[] = [
    textblockTypeInputRule(/^(#{1,3})\s$/, nodes.heading, (match) => ({ level: match[1]?.length ?? 1 })),
    wrappingInputRule(/^\s*([-+*])\s$/, nodes.bullet_list),
    wrappingInputRule(
      /^(\d+)\.\s$/,
      nodes.ordered_list,
      (match) => ({ order: Number(match[1]) }),
      // Join with a list right above only when the number continues it.
      (match, node) => node.childCount + Number(node.attrs.order) === Number(match[1]),
    ),
    wrappingInputRule(/^\s*>\s$/, nodes.blockquote),
    textblockTypeInputRule(/^```$/, nodes.code_block),
    horizontalRuleRule(schema),
    // Bold before italic: `**x**` must not be read as italic around `*x*`.
    markInputRule(/(?<![*\w])\*\*([^*\s](?:[^*]*[^*\s])?)\*\*$/, marks.strong),
    markInputRule(/(?<![_\w])__([^_\s](?:[^_]*[^_\s])?)__$/, marks.strong),
    markInputRule(/(?<![*\w])\*([^*\s](?:[^*]*[^*\s])?)\*$/, marks.em),
    markInputRule(/(?<![_\w])_([^_\s](?:[^_]*[^_\s])?)_$/, marks.em),
    markInputRule(/(?<!~)~~([^~\s](?:[^~]*[^~\s])?)~~$/, marks.strike),
    markInputRule(/(?<!`)`([^`]+)`$/, marks.code),
  ]
  if (options.typography === true) rules.push(...smartQuotes, ellipsis)
  return rules
}
