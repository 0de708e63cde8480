import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const dir = new URL('./', import.meta.url)
const sheets = readdirSync(dir)
  .filter((name) => name.endsWith('.css'))
  .map((name) => ({ name, css: readFileSync(new URL(name, dir), 'utf8') }))

describe('stylesheets', () => {
  it('run no infinite animation on the editor page chrome', () => {
    // The status badge is "Saving…" for most of a typing session: an infinite animation there
    // makes the renderer recalc style on every frame while typing. Only the gap cursor (shown
    // while there is no text caret, so never while typing) may blink.
    const infinite = sheets.flatMap(({ name, css }) =>
      [...css.matchAll(/([^{}]+)\{[^{}]*\banimation\s*:[^;{}]*\binfinite\b[^{}]*\}/g)].map((match) => `${name}: ${match[1]?.trim()}`),
    )
    expect(infinite).toEqual(['document.css: .ProseMirror-gapcursor::after'])
  })
})
