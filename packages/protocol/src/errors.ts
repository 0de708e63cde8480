import { CloseCode } from './close-code'

const formatCount = (value: number): string => value.toLocaleString('en-US')

/**
 * Base of every refusal of untrusted input. `closeCode` is what the relay closes the offending
 * connection with; the message names the bad value.
 */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError'
  constructor(
    readonly closeCode: CloseCode,
    message: string,
  ) {
    super(message)
  }
}

/** The frame does not follow the wire grammar (see PROTOCOL.md). */
export class MalformedFrameError extends ProtocolError {
  override readonly name = 'MalformedFrameError'
  constructor(detail: string) {
    super(CloseCode.MalformedFrame, `Malformed frame: ${detail}`)
  }
}

/** The frame's message type (or sync/auth sub-type) is not one we accept. */
export class UnknownMessageTypeError extends ProtocolError {
  override readonly name = 'UnknownMessageTypeError'
  constructor(
    readonly messageType: number,
    what = 'message type',
  ) {
    super(CloseCode.UnknownMessageType, `Unknown ${what} ${messageType}`)
  }
}

/** One update is larger than `maxUpdateBytes`. */
export class UpdateTooLargeError extends ProtocolError {
  override readonly name = 'UpdateTooLargeError'
  constructor(
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(
      CloseCode.UpdateTooLarge,
      `Update of ${formatCount(bytes)} bytes exceeds maxUpdateBytes ${formatCount(limitBytes)}`,
    )
  }
}

/** Applying an update would grow the document past `maxDocumentBytes`. */
export class DocumentTooLargeError extends ProtocolError {
  override readonly name = 'DocumentTooLargeError'
  constructor(
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(
      CloseCode.DocumentTooLarge,
      `Document would grow to ${formatCount(bytes)} bytes, exceeding maxDocumentBytes ${formatCount(limitBytes)}`,
    )
  }
}

/** The bytes are not a valid Yjs update, or break a structural limit. */
export class InvalidUpdateError extends ProtocolError {
  override readonly name = 'InvalidUpdateError'
  constructor(detail: string) {
    super(CloseCode.InvalidUpdate, `Invalid update: ${detail}`)
  }
}

/** The awareness update is malformed or breaks a limit. */
export class InvalidAwarenessError extends ProtocolError {
  override readonly name = 'InvalidAwarenessError'
  constructor(detail: string) {
    super(CloseCode.InvalidAwareness, `Invalid awareness update: ${detail}`)
  }
}

export { formatCount }
