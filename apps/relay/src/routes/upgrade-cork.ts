// An admitted upgrade's 101 response and the relay's first frames (sync step 1, presence) leave
// in one TCP write: ws writes the 101 and calls the route handler, which joins the room and
// sends, all in one tick. Uncorked, the 101 was a write of its own: one syscall of the ~5 a
// reconnecting client costs (101, handshake, the answer to its step 1, a later answer, close).
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { uncorkAtEndOfTick } from '../connection/end-of-tick'

/**
 * The sync route's preHandler (the last step before the upgrade; synchronous, so the handler runs
 * in the same tick): corks the TCP socket until the tick ends. Guards that refused the upgrade
 * ran before it, so a refusal is written at once.
 */
export function corkUpgrade(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const tcp = request.raw.socket
  if (!tcp.destroyed) {
    tcp.cork()
    uncorkAtEndOfTick(tcp)
  }
  done()
}
