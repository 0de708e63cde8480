import { useEffect, useState } from 'react'

const COPIED_FEEDBACK_MS = 1800

/** Copies the document's URL (the share link). Hidden where the Clipboard API is unavailable. */
export function CopyLinkButton() {
  const [copied, setCopied] = useState(false)
  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), COPIED_FEEDBACK_MS)
    return () => clearTimeout(timer)
  }, [copied])

  if (typeof navigator.clipboard?.writeText !== 'function') return null
  return (
    <button
      type="button"
      className="button button-small share-button"
      onClick={() => {
        navigator.clipboard.writeText(window.location.href).then(
          () => setCopied(true),
          () => setCopied(false),
        )
      }}
    >
      {copied ? 'Link copied' : 'Copy link'}
    </button>
  )
}
