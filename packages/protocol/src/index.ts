export { MessageType, SyncMessageType } from './message-type'
export { DOC_ID_PATTERN, MAX_DOC_ID_LENGTH, InvalidDocIdError, isValidDocId, parseDocId } from './doc-id'
export { CloseCode, HttpRefusal, closeReason, isPermanentCloseCode } from './close-code'
export { DEFAULT_LIMITS, MAX_AWARENESS_CLOCK, type ProtocolLimits } from './limits'
export {
  ProtocolError,
  MalformedFrameError,
  UnknownMessageTypeError,
  UpdateTooLargeError,
  DocumentTooLargeError,
  InvalidUpdateError,
  InvalidAwarenessError,
  formatCount,
} from './errors'
export { AuthMessageType, decodeFrame, type Frame, type FrameType } from './frame'
export {
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  encodeAwareness,
  encodeQueryAwareness,
  encodePermissionDenied,
  encodeSavedStateVectorRequest,
  encodeSavedStateVector,
} from './encode'
export {
  readAwarenessUpdate,
  parseAwarenessEntries,
  encodeAwarenessEntries,
  jsonNestingDepth,
  type AwarenessEntry,
  type ParsedAwarenessEntry,
} from './awareness'
export { validateUpdate, decodeOutlined, type DecodedStruct, type DecodedUpdate, type UpdateSummary } from './validate-update'
export { outlineUpdate, type UpdateOutline, type DeletedRanges } from './update-outline'
