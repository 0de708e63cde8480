import { afterEach, describe, expect, it } from 'vitest'
import { RelayMetrics } from './relay-metrics'

function sample(text: string, selector: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${selector} `))
  return line === undefined ? null : Number(line.slice(selector.length + 1))
}

describe('RelayMetrics message counts', () => {
  let metrics: RelayMetrics | null = null
  afterEach(() => metrics?.close())

  it('adds what was counted since the previous scrape, once', async () => {
    metrics = new RelayMetrics({ connections: () => 0, rooms: () => 0 })
    const update = Uint8Array.of(0, 2, 1, 0)
    metrics.message('in', 'sync-update', 4)
    metrics.sent(update, 3)
    let text = await metrics.registry.metrics()
    expect(sample(text, 'relay_messages_total{type="sync-update",direction="in"}')).toBe(1)
    expect(sample(text, 'relay_messages_total{type="sync-update",direction="out"}')).toBe(3)
    expect(sample(text, 'relay_message_bytes_total{type="sync-update",direction="out"}')).toBe(12)
    // A second scrape with nothing new reports the same totals.
    text = await metrics.registry.metrics()
    expect(sample(text, 'relay_messages_total{type="sync-update",direction="out"}')).toBe(3)
    metrics.sent(update)
    metrics.message('in', 'awareness', 10, 2)
    text = await metrics.registry.metrics()
    expect(sample(text, 'relay_messages_total{type="sync-update",direction="out"}')).toBe(4)
    expect(sample(text, 'relay_message_bytes_total{type="sync-update",direction="out"}')).toBe(16)
    expect(sample(text, 'relay_messages_total{type="awareness",direction="in"}')).toBe(2)
    expect(sample(text, 'relay_message_bytes_total{type="awareness",direction="in"}')).toBe(20)
  })
})
