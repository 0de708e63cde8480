// Pages as separate users: each peer gets its own browser context (its own IndexedDB,
// BroadcastChannel, service worker and localStorage), like a different person or device. Every
// context is watched for console errors/warnings and uncaught errors, which fail the test.
import { writeFileSync } from 'node:fs'
import type { BrowserContext, Page } from '@playwright/test'
import { ConsoleGuard } from './console-guard'
import { relayTest } from './relay'

export interface Peer {
  /** Short label used in messages: A, B, C… */
  readonly label: string
  readonly context: BrowserContext
  readonly page: Page
}

export interface Peers {
  /** Opens `count` peers, each in a fresh browser context. */
  open(count: number): Promise<Peer[]>
  /** Opens one more peer (a new user or device joining). */
  openOne(label?: string): Promise<Peer>
  /** Closes a peer's context (the user closes the browser; its local storage is gone). */
  close(peer: Peer): Promise<void>
  /** See {@link ConsoleGuard.allow}: for browser messages about failures the test provokes. */
  allowConsole(pattern: RegExp, reason: string): void
  /** The guard, for tests of the guard itself. */
  readonly guard: ConsoleGuard
}

export interface PagesFixtures {
  peers: Peers
  /** A document id no other test uses. */
  docId: string
}

const LABELS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

function uniqueDocId(title: string): string {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48)
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
  return `e2e-${slug}-${suffix}`
}

export const test = relayTest.extend<PagesFixtures>({
  docId: async ({}, use, testInfo) => {
    await use(uniqueDocId(testInfo.title))
  },

  peers: async ({ browser, baseURL }, use, testInfo) => {
    const guard = new ConsoleGuard()
    const open = new Set<Peer>()
    let opened = 0
    const openOne = async (label?: string): Promise<Peer> => {
      const name = label ?? LABELS[opened % LABELS.length] ?? `P${opened}`
      opened += 1
      const context = await browser.newContext({
        baseURL,
        viewport: { width: 1280, height: 800 },
        serviceWorkers: 'allow',
      })
      guard.watch(context, name)
      const page = await context.newPage()
      const peer: Peer = { label: name, context, page }
      open.add(peer)
      return peer
    }
    const peers: Peers = {
      open: async (count) => {
        const result: Peer[] = []
        for (let i = 0; i < count; i++) result.push(await openOne())
        return result
      },
      openOne,
      close: async (peer) => {
        open.delete(peer)
        await peer.context.close()
      },
      allowConsole: (pattern, reason) => guard.allow(pattern, reason),
      guard,
    }

    await use(peers)

    await Promise.all([...open].map((peer) => peer.context.close().catch(() => undefined)))
    const failed = testInfo.status !== testInfo.expectedStatus
    const problems = guard.describeFailures()
    if (failed || problems !== null) {
      const file = testInfo.outputPath('browser-console.log')
      writeFileSync(file, guard.log)
      await testInfo.attach('browser-console', { path: file, contentType: 'text/plain' })
    }
    if (problems !== null) throw new Error(problems)
  },
})
