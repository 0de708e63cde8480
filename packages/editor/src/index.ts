export { schema, headingLevels, toHeadingLevel } from './schema'
export type { EditorMarkName, EditorNodeName, EditorSchema, HeadingLevel } from './schema'
export { allowedLinkSchemes, isSafeHref, maxHrefLength, sanitizeHref, UnsafeHrefError } from './href'
export {
  insertHardBreak,
  insertHorizontalRule,
  moveToDocumentEdge,
  removeLink,
  setCodeBlock,
  setHeading,
  setLink,
  setParagraph,
  toggleBlockquote,
  toggleBold,
  toggleBulletList,
  toggleCode,
  toggleItalic,
  toggleList,
  toggleOrderedList,
  toggleStrike,
} from './commands'
export { currentLinkHref, linkRangeAt } from './link-commands'
export type { LinkRange } from './link-commands'
export { innermostListRange, isBlockActive, isInList, isListType, isMarkActive } from './state-queries'
export { buildKeymap } from './keymap'
export type { HistoryCommands, KeyBindings } from './keymap'
export { buildInputRules, markInputRule } from './input-rules'
export type { InputRuleOptions } from './input-rules'
export { buildEditorPlugins } from './plugins'
export type { EditorPluginOptions } from './plugins'
export { applyLink, buildToolbarItems, toolbarItemIds } from './toolbar'
export type { PromptHref, ToolbarItem, ToolbarItemId, ToolbarOptions } from './toolbar'
