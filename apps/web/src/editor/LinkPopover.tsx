import { isSafeHref } from '@collab/editor'
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react'

/** An open request for a link target, answered through `resolve`. */
export interface LinkRequest {
  currentHref: string | null
  /** Viewport position to show the popover at (under the selection). */
  anchor: { left: number; top: number }
  /** The new href, `''` to remove the link, or null to cancel. */
  resolve: (href: string | null) => void
}

const POPOVER_WIDTH_PX = 320
const VIEWPORT_MARGIN_PX = 8

/** A small inline form for a link's URL, instead of window.prompt. */
export function LinkPopover({ request }: { request: LinkRequest }) {
  const [href, setHref] = useState(request.currentHref ?? 'https://')
  const [error, setError] = useState<string | null>(null)
  const inputRef = useRef<HTMLInputElement>(null)
  const formRef = useRef<HTMLFormElement>(null)

  useEffect(() => {
    inputRef.current?.focus()
    inputRef.current?.select()
    const { resolve } = request
    // A click anywhere else cancels, like a native popover.
    const onPointerDown = (event: PointerEvent) => {
      if (formRef.current !== null && !formRef.current.contains(event.target as Node)) resolve(null)
    }
    document.addEventListener('pointerdown', onPointerDown)
    return () => document.removeEventListener('pointerdown', onPointerDown)
  }, [request])

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const value = href.trim()
    if (value === '' || value === 'https://') {
      request.resolve(request.currentHref === null ? null : '')
      return
    }
    if (!isSafeHref(value)) {
      setError('Only http, https and mailto links (or relative ones) are allowed.')
      return
    }
    request.resolve(value)
  }
  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault()
      request.resolve(null)
    }
  }

  const width = Math.min(POPOVER_WIDTH_PX, window.innerWidth - 2 * VIEWPORT_MARGIN_PX)
  const left = Math.max(VIEWPORT_MARGIN_PX, Math.min(request.anchor.left, window.innerWidth - width - VIEWPORT_MARGIN_PX))

  return (
    <form
      ref={formRef}
      className="popover link-popover"
      style={{ left, top: request.anchor.top, width }}
      onSubmit={onSubmit}
      onKeyDown={onKeyDown}
      role="dialog"
      aria-label="Edit link"
      data-testid="link-popover"
    >
      <label className="popover-label" htmlFor="link-href">
        Link to
      </label>
      <input
        id="link-href"
        ref={inputRef}
        className="input"
        data-testid="link-input"
        inputMode="url"
        autoComplete="off"
        spellCheck={false}
        value={href}
        aria-invalid={error !== null}
        onChange={(event) => {
          setHref(event.target.value)
          setError(null)
        }}
      />
      {error !== null && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="popover-actions">
        {request.currentHref !== null && (
          <button type="button" className="button button-quiet" data-testid="link-remove" onClick={() => request.resolve('')}>
            Remove link
          </button>
        )}
        <span className="spacer" />
        <button type="button" className="button button-quiet" onClick={() => request.resolve(null)}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" data-testid="link-apply">
          Apply
        </button>
      </div>
    </form>
  )
}
