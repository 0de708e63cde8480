import { describe, expect, it } from 'vitest'
import { ClusterMessageError, decodeClusterMessage, encodeClusterMessage, type ClusterMessage } from './wire'

const bytes = (...values: number[]) => Uint8Array.from(values)

describe('cluster wire format', () => {
  it.each<ClusterMessage>([
    { kind: 'update', origin: 'relay-1', update: bytes(0, 0) },
    { kind: 'awareness', origin: 'r.2', awareness: bytes(1, 2, 3) },
    { kind: 'state', origin: 'r_3', hello: true, stateVector: bytes(1, 5, 9), digest: bytes(...new Array(16).fill(7)) },
    { kind: 'state', origin: 'r_3', hello: false, stateVector: bytes(0), digest: bytes() },
    { kind: 'diff', origin: 'a', target: 'b', update: bytes(0, 0) },
    { kind: 'heartbeat', origin: 'a', intervalMs: 2_000, instance: 'f00d' },
    { kind: 'bye', origin: 'a' },
  ])('round-trips $kind', (message) => {
    expect(decodeClusterMessage(encodeClusterMessage(message))).toEqual(message)
  })

  it.each([
    ['an empty message', bytes(), /truncated/],
    ['another version', bytes(2, 0, 1, 97, 0), /version 2 is not 1/],
    ['an unknown kind', bytes(1, 9, 1, 97), /unknown cluster message kind 9/],
    ['an origin that is not a relay id', bytes(1, 5, 3, 97, 32, 98), /origin "a b" is not a relay id/],
    ['an empty origin', bytes(1, 5, 0), /origin "" is not a relay id/],
    ['trailing bytes', bytes(1, 5, 1, 97, 0), /bye message has 1 trailing bytes/],
    ['a truncated update', bytes(1, 0, 1, 97, 10, 0), /truncated or malformed/],
  ])('refuses %s with a ClusterMessageError', (_name, input, message) => {
    expect(() => decodeClusterMessage(input)).toThrow(ClusterMessageError)
    expect(() => decodeClusterMessage(input)).toThrow(message)
  })
})
