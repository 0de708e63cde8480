import { useEffect, type ReactNode } from 'react'
import { DocumentsPage } from '../docs/DocumentsPage'
import { EditorPage } from '../editor/EditorPage'
import { Link } from './Link'
import { usePathname } from './navigation'
import { parseRoute, type Route } from './routes'

/** The whole app: one page per route. */
export function App() {
  const route = parseRoute(usePathname())
  return <RoutePage route={route} />
}

function RoutePage({ route }: { route: Route }) {
  switch (route.kind) {
    case 'documents':
      return <DocumentsPage />
    case 'editor':
      // A new doc id is a new page: keyed so nothing of the previous document survives.
      return <EditorPage key={route.docId} docId={route.docId} />
    case 'invalid-doc':
      return (
        <MessagePage title="Not a valid document id" testId="invalid-doc">
          <p>
            <code className="bad-id">{route.rawDocId.length > 160 ? `${route.rawDocId.slice(0, 160)}…` : route.rawDocId}</code>{' '}
            is not a valid document id. Ids are 1–128 characters of letters, digits, “-” and “_”.
          </p>
          <p>Nothing was created.</p>
        </MessagePage>
      )
    case 'not-found':
      return (
        <MessagePage title="Page not found" testId="not-found">
          <p>There is nothing at this address.</p>
        </MessagePage>
      )
  }
}

function MessagePage({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Collab`
  }, [title])
  return (
    <div className="page message-page" data-testid={testId}>
      <main className="message-card">
        <h1>{title}</h1>
        {children}
        <Link href="/" className="button button-primary">
          Go to your documents
        </Link>
      </main>
    </div>
  )
}
