import { HttpRefusal, InvalidDocIdError, isValidDocId } from '@collab/protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'

/** Route params of every `/:docId` route. */
export interface DocIdParams {
  docId: string
}

/**
 * preValidation hook: refuses an invalid doc id with HTTP 400 and the id named in the message.
 * On the WebSocket route it runs before the upgrade, so nothing is opened or created.
 */
export async function rejectInvalidDocId(
  request: FastifyRequest<{ Params: DocIdParams }>,
  reply: FastifyReply,
): Promise<void> {
  const { docId } = request.params
  if (isValidDocId(docId)) return
  await reply.code(HttpRefusal.BadRequest).send({
    statusCode: HttpRefusal.BadRequest,
    error: 'Bad Request',
    code: 'INVALID_DOC_ID',
    message: new InvalidDocIdError(docId).message,
  })
}
