// Scale-out: two relay processes share one PostgreSQL and one Redis, each serving the built web
// app. A page on each relay edits the same document at the same time; both end with the same
// document. Edits reach the other page only through Redis (the pages never talk to the same
// relay), and a fresh page on either relay loads the result.
import { writeFileSync } from 'node:fs'
import type { Page } from '@playwright/test'
import { clusterServersUnavailable, startClusterServers, type ClusterServers } from '../support/cluster-servers'
import {
  editorText,
  expect,
  externalBaseUrl,
  focusEnd,
  NEEDS_OWN_RELAY,
  type Peer,
  RelayProcess,
  test,
  waitForConvergence,
  waitForEditor,
} from '../support/test'

test.skip(externalBaseUrl !== null, NEEDS_OWN_RELAY)
// initdb, two relays and two browser contexts on a shared 2-core machine.
test.setTimeout(240_000)

const SCRIPTS = ['alpha bravo charlie delta echo', 'KILO LIMA MIKE NOVEMBER OSCAR'] as const
const ALPHABETS = [/[a-z]/g, /[A-Z]/g] as const

async function openOn(page: Page, relay: RelayProcess, docId: string): Promise<void> {
  await page.goto(`${relay.baseUrl}/d/${docId}`)
  await waitForEditor(page, docId)
}

async function connectionsOn(relay: RelayProcess): Promise<number> {
  const response = await fetch(`${relay.baseUrl}/healthz`)
  return ((await response.json()) as { connections: number }).connections
}

test('two pages on two relays behind Redis edit one document and converge', async ({ peers, docId }, testInfo) => {
  const unavailable = clusterServersUnavailable()
  if (unavailable !== null) {
    // A missing server must not turn into a green CI run.
    if (process.env.CI) throw new Error(`multi-relay spec: ${unavailable}`)
    test.skip(true, unavailable)
  }
  let servers: ClusterServers | null = null
  const relays: RelayProcess[] = []
  const opened: Peer[] = []
  try {
    servers = await startClusterServers()
    const env = (relayId: string) => ({
      DATABASE_URL: (servers as ClusterServers).databaseUrl,
      REDIS_URL: (servers as ClusterServers).redisUrl,
      RELAY_ID: relayId,
      ANTI_ENTROPY_INTERVAL_MS: '1000',
      RELAY_HEARTBEAT_MS: '500',
    })
    relays.push(...(await Promise.all([RelayProcess.start({ env: env('r0') }), RelayProcess.start({ env: env('r1') })])))
    const [r0, r1] = relays as [RelayProcess, RelayProcess]

    opened.push(...(await peers.open(2)))
    const [first, second] = opened
    const a = first!.page
    const b = second!.page
    await openOn(a, r0, docId)
    await openOn(b, r1, docId)
    // Each page holds a socket to its own relay only.
    expect(await connectionsOn(r0)).toBe(1)
    expect(await connectionsOn(r1)).toBe(1)

    await focusEnd(a)
    await a.keyboard.type(':: ')
    await expect.poll(() => editorText(b), { message: 'the first edit to cross relays' }).toContain('::')

    await focusEnd(a)
    await focusEnd(b)
    await Promise.all([a.keyboard.type(SCRIPTS[0], { delay: 25 }), b.keyboard.type(SCRIPTS[1], { delay: 25 })])
    await waitForConvergence([a, b])
    const text = await editorText(a)
    SCRIPTS.forEach((script, index) => {
      const alphabet = ALPHABETS[index] as RegExp
      expect((text.match(alphabet) ?? []).join(''), `page ${index}'s keystrokes, once each and in order, in ${JSON.stringify(text)}`).toBe(
        (script.match(alphabet) ?? []).join(''),
      )
    })

    // A new user on either relay loads the same document (storage + the other relay's memory).
    const late = await peers.openOne()
    opened.push(late)
    await openOn(late.page, r1, docId)
    await waitForConvergence([a, b, late.page])
  } finally {
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const relay of relays) {
        const file = testInfo.outputPath(`relay-${relay.port}.log`)
        writeFileSync(file, relay.log)
        await testInfo.attach(`relay-${relay.port}`, { path: file, contentType: 'text/plain' })
      }
    }
    // Pages first: a page left open would log refused reconnects to relays that are gone.
    await Promise.all(opened.map((peer) => peers.close(peer)))
    await Promise.all(relays.map((relay) => relay.dispose()))
    await servers?.stop()
  }
})
