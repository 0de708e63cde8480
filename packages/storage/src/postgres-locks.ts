// Advisory lock keys. PostgreSQL advisory locks take a bigint; ours are derived from readable
// names (a purpose, the schema, a doc id) so relays agree on them without coordination.
import { createHash } from 'node:crypto'

/**
 * First 8 bytes of SHA-256 over the parts, as a signed 64-bit integer in decimal (pass it as
 * `$1::bigint`). The parts are joined with NUL, which no doc id or schema name contains, so
 * different part lists cannot collide by concatenation.
 */
export function advisoryLockKey(...parts: readonly string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest()
  return digest.readBigInt64BE(0).toString()
}
