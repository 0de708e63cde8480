import { buildToolbarItems } from '@collab/editor'
import type { SyncClient, UserProfile } from '@collab/sync-client'
import type { EditorState } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { Link } from '../app/Link'
import { rememberDoc } from '../docs/recent-docs'
import { createCollabView } from './collab-view'
import { CopyLinkButton } from './CopyLinkButton'
import { installDebugHandle } from './debug-handle'
import { LinkPopover, type LinkRequest } from './LinkPopover'
import { PresenceBar } from './PresenceBar'
import { ProfileFields } from './ProfileFields'
import { StatusBadge } from './StatusBadge'
import { TitleField } from './TitleField'
import { Toolbar } from './Toolbar'
import { createStateStore } from './state-store'
import { useSyncClient } from './use-sync-client'

/** `/d/<docId>`: the collaborative editor on one document. */
export function EditorPage({ docId }: { docId: string }) {
  const client = useSyncClient(docId)
  return (
    <div className="page editor-page">
      {client === null ? <EditorSkeleton /> : <EditorSession key={client.docId} client={client} />}
    </div>
  )
}

function EditorSkeleton() {
  return (
    <>
      <header className="app-bar editor-bar">
        <BackLink />
      </header>
      <main className="paper-wrap" aria-busy="true">
        <div className="paper" />
      </main>
    </>
  )
}

function BackLink() {
  return (
    <Link href="/" className="icon-button back-link" aria-label="All documents" title="All documents">
      <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true" focusable="false">
        <path d="M12 4.5 6.5 10l5.5 5.5" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </Link>
  )
}

function useLocalLoaded(client: SyncClient): boolean {
  const [loaded, setLoaded] = useState(() => client.getStatus().localLoaded)
  useEffect(() => {
    let live = true
    void client.whenLocalLoaded.then(() => {
      if (live) setLoaded(true)
    })
    return () => {
      live = false
    }
  }, [client])
  return loaded
}

function EditorSession({ client }: { client: SyncClient }) {
  const docId = client.docId
  const localLoaded = useLocalLoaded(client)
  const [profile, setProfile] = useState<UserProfile>(() => client.getUser())
  const mountRef = useRef<HTMLDivElement>(null)
  const viewRef = useRef<EditorView | null>(null)
  const [view, setView] = useState<EditorView | null>(null)
  // Not React state: a transaction (every keystroke) must not re-render the whole page.
  const [editorState] = useState(() => createStateStore<EditorState | null>(null))
  const [linkRequest, setLinkRequest] = useState<LinkRequest | null>(null)

  const toolbarItems = useMemo(
    () =>
      buildToolbarItems({
        promptHref: (currentHref) =>
          new Promise<string | null>((resolve) => {
            const current = viewRef.current
            if (current === null) {
              resolve(null)
              return
            }
            const coords = current.coordsAtPos(current.state.selection.from)
            setLinkRequest({
              currentHref,
              anchor: { left: coords.left, top: coords.bottom + 8 },
              resolve: (href) => {
                setLinkRequest(null)
                resolve(href)
                // After the toolbar applied the answer (same microtask queue), give the text focus back.
                queueMicrotask(() => viewRef.current?.focus())
              },
            })
          }),
      }),
    [],
  )

  // The editor starts on the local replica, so an offline reload shows the document at once.
  useEffect(() => {
    const mount = mountRef.current
    if (!localLoaded || mount === null) return
    const created = createCollabView(mount, client, {
      ariaLabel: 'Document text',
      onStateChange: editorState.set,
    })
    viewRef.current = created
    editorState.set(created.state)
    setView(created)
    const removeDebugHandle = installDebugHandle(client, created)
    return () => {
      removeDebugHandle()
      viewRef.current = null
      setView(null)
      editorState.set(null)
      created.destroy()
    }
  }, [client, localLoaded, editorState])

  const onTitleChange = useCallback(
    (title: string) => {
      document.title = `${title.trim() || 'Untitled'} · Collab`
      // Before the local replica is in, the title reads empty; don't let that erase the known one.
      if (client.getStatus().localLoaded) rememberDoc(docId, { title })
    },
    [client, docId],
  )

  return (
    <>
      <header className="app-bar editor-bar">
        <BackLink />
        <TitleField doc={client.doc} onTitleChange={onTitleChange} />
        <div className="editor-bar-end">
          <StatusBadge client={client} />
          <CopyLinkButton />
        </div>
      </header>
      <div className="people-bar">
        <PresenceBar client={client} self={profile} />
        <ProfileFields client={client} profile={profile} onProfileChange={setProfile} />
      </div>
      <div className="toolbar-wrap">
        {view !== null && <Toolbar view={view} state={editorState} items={toolbarItems} />}
      </div>
      <main className="paper-wrap">
        <article className="paper">
          {!localLoaded && <p className="muted loading-note">Opening the copy on this device…</p>}
          <div ref={mountRef} className="editor-mount" />
        </article>
      </main>
      {linkRequest !== null && <LinkPopover request={linkRequest} />}
    </>
  )
}
