import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CONFIG_VARIABLES, ConfigError, configHelp, configMarkdownTable, defaultConfig, loadConfig } from './config'

describe('loadConfig', () => {
  it('applies defaults for unset and empty variables', () => {
    const config = loadConfig({ PORT: '', HOST: undefined }, '/srv/collab')
    expect(config).toEqual({ ...defaultConfig(), dataDir: '/srv/collab/data' })
    expect(config.port).toBe(8080)
    expect(config.host).toBe('127.0.0.1')
    expect(config.pingIntervalMs).toBe(30_000)
    expect(config.webDistDir).toMatch(/apps\/web\/dist$/)
  })

  it('resolves relative paths against INIT_CWD (where pnpm was started), else the working directory', () => {
    expect(loadConfig({ INIT_CWD: '/repo' }, '/repo/apps/relay').dataDir).toBe('/repo/data')
    expect(loadConfig({ DATA_DIR: 'store' }, '/work').dataDir).toBe('/work/store')
    expect(loadConfig({ DATA_DIR: '/abs/dir', INIT_CWD: '/repo' }).dataDir).toBe('/abs/dir')
    expect(loadConfig({ WEB_DIST_DIR: 'web', INIT_CWD: '/repo' }).webDistDir).toBe('/repo/web')
  })

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/collab',
      LOG_LEVEL: 'WARN',
      FLUSH_INTERVAL_MS: '20',
      COMPACT_MAX_LOG_ENTRIES: '50',
      MAX_UPDATE_BYTES: '1024',
      ROOM_UNLOAD_DELAY_MS: '0',
    })
    expect(config).toMatchObject({ port: 0, host: '0.0.0.0', dataDir: '/var/lib/collab', logLevel: 'warn', flushIntervalMs: 20 })
    expect(config.compaction.maxLogEntries).toBe(50)
    expect(config.limits.maxUpdateBytes).toBe(1024)
    expect(config.roomUnloadDelayMs).toBe(0)
  })

  it.each([
    ['PORT', 'abc', 'Invalid PORT="abc": expected an integer from 0 to 65535'],
    ['PORT', '70000', 'Invalid PORT="70000": expected an integer from 0 to 65535'],
    ['PORT', '80.5', 'Invalid PORT="80.5": expected an integer from 0 to 65535'],
    ['PING_INTERVAL_MS', '0', 'Invalid PING_INTERVAL_MS="0": expected an integer from 1 to 86400000'],
    ['FLUSH_INTERVAL_MS', '-5', 'Invalid FLUSH_INTERVAL_MS="-5": expected an integer from 1 to 86400000'],
    ['LOG_LEVEL', 'loud', 'Invalid LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent'],
    ['HOST', '   ', 'Invalid HOST="   ": expected a non-empty value'],
    ['MAX_FRAME_BYTES', '1e6', 'Invalid MAX_FRAME_BYTES="1e6": expected an integer >= 1'],
    ['PERSISTENCE', 'no', 'Invalid PERSISTENCE="no": expected one of on, off'],
    ['PERSISTENCE', 'false', 'Invalid PERSISTENCE="false": expected one of on, off'],
    ['WS_COMPRESSION', 'gzip', 'Invalid WS_COMPRESSION="gzip": expected one of awareness, all, off'],
    // Past 2^31 - 1 ms Node would run the timer after 1 ms: a ping every millisecond.
    ['PING_INTERVAL_MS', '3000000000', 'Invalid PING_INTERVAL_MS="3000000000": expected an integer from 1 to 86400000'],
    ['ROOM_UNLOAD_DELAY_MS', '86400001', 'Invalid ROOM_UNLOAD_DELAY_MS="86400001": expected an integer from 0 to 86400000'],
    // Node's headersTimeout must not exceed its requestTimeout (5 min): a RangeError at startup.
    ['HANDSHAKE_TIMEOUT_MS', '600000', 'Invalid HANDSHAKE_TIMEOUT_MS="600000": expected an integer from 1 to 300000'],
    ...['proxy.example', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/', '10.0.0.0/8/1', '10.0.0.0/255.0.0.0', '127.0.0.1,', '*'].map(
      (value) => ['TRUST_PROXY', value, `Invalid TRUST_PROXY=${JSON.stringify(value)}: expected a comma list of proxy addresses: IPs, CIDR ranges (10.0.0.0/8, fd00::/8) or loopback, linklocal, uniquelocal`],
    ),
  ])('refuses %s=%j with a ConfigError naming it', (name, value, message) => {
    let error: unknown
    try {
      loadConfig({ [name]: value })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).variable).toBe(name)
    expect((error as ConfigError).value).toBe(value)
    expect((error as Error).message).toBe(message)
  })

  it('reads WS_COMPRESSION (awareness by default)', () => {
    expect(loadConfig({}).compression).toBe('awareness')
    expect(loadConfig({ WS_COMPRESSION: ' Off ' }).compression).toBe('off')
    expect(loadConfig({ WS_COMPRESSION: 'awareness' }).compression).toBe('awareness')
    expect(loadConfig({ WS_COMPRESSION: 'ALL' }).compression).toBe('all')
  })

  it('reads PERSISTENCE (on by default, case and spaces ignored)', () => {
    expect(loadConfig({}).persistence).toBe('on')
    expect(loadConfig({ PERSISTENCE: 'on' }).persistence).toBe('on')
    expect(loadConfig({ PERSISTENCE: 'off' }).persistence).toBe('off')
    expect(loadConfig({ PERSISTENCE: ' OFF ' }).persistence).toBe('off')
    // DATA_DIR is simply unused then; the default one is not an error.
    expect(loadConfig({ PERSISTENCE: 'off', DATA_DIR: '/var/lib/collab' }).persistence).toBe('off')
  })

  it.each([
    [{ DATABASE_URL: 'postgres://app:hunter2@db:5432/collab' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'postgres://db/collab', REDIS_URL: 'redis://cache:6379' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'redis://cache:6379' }, 'REDIS_URL'],
  ])('refuses PERSISTENCE=off together with %j', (env, other) => {
    let error: unknown
    try {
      loadConfig({ PERSISTENCE: 'off', ...env })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).variable).toBe('PERSISTENCE')
    expect((error as ConfigError).value).toBe('off')
    expect((error as Error).message).toContain(`expected on when ${other} is set`)
    expect((error as Error).message).not.toContain('hunter2')
  })

  it('reads TRUST_PROXY as a list of addresses, ranges and range names', () => {
    expect(defaultConfig().trustProxy).toEqual([])
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy).toEqual(['127.0.0.1'])
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8, fd00::/8 ,::1, loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'fd00::/8', '::1', 'loopback'])
  })

  it('--help lists every variable with its default', () => {
    const help = configHelp()
    for (const variable of CONFIG_VARIABLES) {
      expect(help).toMatch(new RegExp(`^  ${variable.name} +${variable.default.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} +\\S`, 'm'))
    }
  })

  it('the README carries the same table', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    expect(readme).toContain(configMarkdownTable())
  })
})
