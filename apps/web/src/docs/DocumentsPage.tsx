import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { docIdFromUserInput, newDocId } from '../app/doc-id'
import { formatBytes, formatRelativeTime } from '../app/format'
import { Link } from '../app/Link'
import { navigate } from '../app/navigation'
import { docPath } from '../app/routes'
import { mergeDocLists, type DocListEntry } from './merge-docs'
import { loadRecentDocs, type RecentDoc } from './recent-docs'
import { fetchRelayDocs, type RelayDoc } from './relay-docs'

type RelayListState = { kind: 'loading' } | { kind: 'loaded'; docs: RelayDoc[] } | { kind: 'unreachable' }

function useRecentDocs(): RecentDoc[] {
  const [docs, setDocs] = useState(loadRecentDocs)
  useEffect(() => {
    // Another tab opened or renamed a document.
    const onStorage = () => setDocs(loadRecentDocs())
    window.addEventListener('storage', onStorage)
    return () => window.removeEventListener('storage', onStorage)
  }, [])
  return docs
}

function useRelayDocs(): RelayListState {
  const [state, setState] = useState<RelayListState>({ kind: 'loading' })
  useEffect(() => {
    const abort = new AbortController()
    fetchRelayDocs({ signal: abort.signal }).then(
      (docs) => setState({ kind: 'loaded', docs }),
      () => {
        if (!abort.signal.aborted) setState({ kind: 'unreachable' })
      },
    )
    return () => abort.abort()
  }, [])
  return state
}

/** `/`: documents on the relay and on this device; create or open one. */
export function DocumentsPage() {
  const recent = useRecentDocs()
  const relay = useRelayDocs()
  const entries = useMemo(() => mergeDocLists(recent, relay.kind === 'loaded' ? relay.docs : []), [recent, relay])

  useEffect(() => {
    document.title = 'Documents · Collab'
  }, [])

  return (
    <div className="page docs-page">
      <header className="app-bar">
        <Link href="/" className="brand" aria-label="Collab home">
          <span className="brand-mark" aria-hidden="true" />
          Collab
        </Link>
      </header>
      <main className="docs-main">
        <section className="docs-hero">
          <div>
            <h1>Documents</h1>
            <p className="muted">
              Everything you write is kept on this device first and shared through the relay when you are online.
            </p>
          </div>
          <button
            type="button"
            className="button button-primary"
            data-testid="new-doc"
            onClick={() => navigate(docPath(newDocId()))}
          >
            <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true" focusable="false">
              <path d="M10 4v12M4 10h12" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
            New document
          </button>
        </section>

        <OpenDocForm />

        <section className="docs-list-section" aria-labelledby="docs-list-heading">
          <div className="docs-list-header">
            <h2 id="docs-list-heading">All documents</h2>
            <RelayNote state={relay} />
          </div>
          <ul className="doc-list" data-testid="doc-list">
            {entries.map((entry) => (
              <DocRow key={entry.docId} entry={entry} />
            ))}
          </ul>
          {entries.length === 0 && relay.kind !== 'loading' && (
            <p className="empty-state">No documents yet. Create one, or open one from a link someone shared.</p>
          )}
        </section>
      </main>
    </div>
  )
}

function RelayNote({ state }: { state: RelayListState }) {
  switch (state.kind) {
    case 'loading':
      return <span className="muted small">Loading…</span>
    case 'loaded':
      return null
    case 'unreachable':
      return (
        <span className="relay-note" role="status">
          Relay unreachable — showing documents on this device
        </span>
      )
  }
}

function DocRow({ entry }: { entry: DocListEntry }) {
  const label = entry.title.trim() || entry.docId
  const details: string[] = []
  if (entry.lastOpenedAtMs !== null) details.push(`opened ${formatRelativeTime(entry.lastOpenedAtMs)}`)
  if (entry.updatedAtMs !== null && entry.updatedAtMs > 0) details.push(`edited ${formatRelativeTime(entry.updatedAtMs)}`)
  if (entry.storedBytes !== null && entry.storedBytes > 0) details.push(formatBytes(entry.storedBytes))
  return (
    <li className="doc-row">
      <span className="doc-icon" aria-hidden="true" />
      <div className="doc-row-text">
        <Link href={docPath(entry.docId)} className="doc-link" data-testid="doc-link">
          {label}
        </Link>
        <span className="doc-meta">
          {entry.title.trim() && <span className="doc-id">{entry.docId}</span>}
          {details.join(' · ')}
        </span>
      </div>
      <span className="doc-badges">
        {entry.onDevice && <span className="badge">On this device</span>}
      </span>
    </li>
  )
}

function OpenDocForm() {
  const [value, setValue] = useState('')
  const [error, setError] = useState<string | null>(null)
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const docId = docIdFromUserInput(value, window.location.href)
    if (docId === null) {
      setError('That is not a document id or a link to one (ids are 1–128 letters, digits, “-” or “_”).')
      return
    }
    navigate(docPath(docId))
  }
  return (
    <form className="open-doc" onSubmit={onSubmit} noValidate>
      <label htmlFor="open-doc-input" className="open-doc-label">
        Open a document
      </label>
      <div className="open-doc-row">
        <input
          id="open-doc-input"
          className="input"
          data-testid="open-doc-input"
          placeholder="Paste a link or a document id"
          autoComplete="off"
          spellCheck={false}
          value={value}
          aria-invalid={error !== null}
          aria-describedby={error !== null ? 'open-doc-error' : undefined}
          onChange={(event) => {
            setValue(event.target.value)
            setError(null)
          }}
        />
        <button type="submit" className="button" data-testid="open-doc-submit" disabled={value.trim() === ''}>
          Open
        </button>
      </div>
      {error !== null && (
        <p id="open-doc-error" className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  )
}
