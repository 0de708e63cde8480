import { describe, expect, it } from 'vitest'
import { turnOrder } from './turn-order'

describe('turnOrder', () => {
  it('rotates by the turn, so each server goes first once in as many turns as there are servers', () => {
    const servers = ['ours', 'memory', 'y-websocket', 'hocuspocus']
    const orders = [0, 1, 2, 3, 4].map((turn) => turnOrder(servers, turn))
    expect(orders[0]).toEqual(servers)
    expect(orders[1]).toEqual(['memory', 'y-websocket', 'hocuspocus', 'ours'])
    expect(orders.slice(0, 4).map((order) => order[0])).toEqual(servers)
    expect(orders[4]).toEqual(servers)
    for (const order of orders) expect([...order].sort()).toEqual([...servers].sort())
  })

  it('leaves the list alone and refuses a turn that is not a non-negative integer', () => {
    const servers = ['a', 'b']
    turnOrder(servers, 1)
    expect(servers).toEqual(['a', 'b'])
    expect(turnOrder([], 3)).toEqual([])
    expect(() => turnOrder(servers, -1)).toThrow(/turn must be a non-negative integer, got -1/)
    expect(() => turnOrder(servers, 1.5)).toThrow(/got 1.5/)
  })
})
