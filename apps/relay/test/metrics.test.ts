import { describe, expect, it } from 'vitest'
import { openRawClient, textOf, useRelayPerTest, waitFor, waitForSync } from './helpers'

/** The value of one sample line (`name{labels} value`) in Prometheus text. */
function sample(text: string, selector: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${selector} `))
  return line === undefined ? null : Number(line.slice(selector.length + 1))
}

describe('GET /metrics', () => {
  const relays = useRelayPerTest()

  it('counts connections, rooms, messages, refusals, fan-out, storage batches and compactions', async () => {
    const relay = await relays.start({ config: { compaction: { maxLogEntries: 3 } } })
    const a = relays.client('metrics')
    const b = relays.client('metrics')
    await Promise.all([waitForSync(a.provider), waitForSync(b.provider)])
    for (let i = 0; i < 6; i++) {
      a.doc.getText('text').insert(0, `${i}`)
      await waitFor(() => textOf(b.doc).length === i + 1)
      await new Promise((resolve) => setTimeout(resolve, 20)) // separate group commits
    }
    const attacker = await openRawClient(relay.syncUrl, 'metrics')
    attacker.send([42])
    await attacker.closed
    let text = ''
    await waitFor(async () => {
      const response = await fetch(`${relay.httpUrl}/metrics`)
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
      text = await response.text()
      return (sample(text, 'relay_compactions_total') ?? 0) > 0
    }, { message: 'a compaction to be counted' })
    expect(sample(text, 'relay_connections')).toBe(2)
    expect(sample(text, 'relay_rooms')).toBe(1)
    expect(sample(text, 'relay_messages_total{type="sync-update",direction="in"}')).toBe(6)
    expect(sample(text, 'relay_messages_total{type="sync-update",direction="out"}')).toBe(6)
    expect(sample(text, 'relay_refusals_total{code="4405",reason="unknown-message-type"}')).toBe(1)
    expect(sample(text, 'relay_fanout_seconds_count')).toBe(6)
    expect(sample(text, 'relay_storage_batch_seconds_count{outcome="ok"}')).toBeGreaterThan(0)
    expect(sample(text, 'relay_compaction_bytes_total{stage="before"}')).toBeGreaterThan(0)
    expect(sample(text, 'relay_event_loop_delay_max_seconds')).not.toBeNull()
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
  })

  it('requires the bearer token when METRICS_TOKEN is set', async () => {
    const relay = await relays.start({ config: { metricsToken: 'scrape-me' } })
    expect((await fetch(`${relay.httpUrl}/metrics`)).status).toBe(401)
    expect((await fetch(`${relay.httpUrl}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    expect((await fetch(`${relay.httpUrl}/metrics`, { headers: { authorization: 'Bearer scrape-me' } })).status).toBe(200)
  })
})
