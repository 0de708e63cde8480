/**
 * The order in which the servers take turn `turn` of an interleaved scenario: the list rotated by
 * `turn`. Over as many turns as there are servers each one goes first once (right after the load
 * workers went idle) and last once; each still follows the same neighbour, only the start moves.
 */
export function turnOrder<T>(servers: readonly T[], turn: number): T[] {
  if (!Number.isInteger(turn) || turn < 0) throw new RangeError(`turn must be a non-negative integer, got ${turn}`)
  if (servers.length === 0) return []
  const start = turn % servers.length
  return [...servers.slice(start), ...servers.slice(0, start)]
}
