import type { FastifyBaseLogger } from 'fastify'

export interface LogRecord {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
  msg: string
  fields: Record<string, unknown>
}

/** A FastifyBaseLogger that keeps what was logged (for asserting "logged once"), printing nothing. */
export function recordingLogger(records: LogRecord[] = []): FastifyBaseLogger & { records: LogRecord[] } {
  const at =
    (level: LogRecord['level']) =>
    (fieldsOrMsg: unknown, msg?: string): void => {
      if (typeof fieldsOrMsg === 'string') records.push({ level, msg: fieldsOrMsg, fields: {} })
      else records.push({ level, msg: msg ?? '', fields: (fieldsOrMsg ?? {}) as Record<string, unknown> })
    }
  const logger = {
    records,
    level: 'trace',
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    silent: () => {},
    child: () => logger,
  }
  return logger as unknown as FastifyBaseLogger & { records: LogRecord[] }
}
