// The scale-out variables of config.ts (DATABASE_URL, REDIS_URL, RELAY_ID, intervals).
import { describe, expect, it } from 'vitest'
import { ConfigError, configHelp, loadConfig } from '../config'

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('scale-out configuration', () => {
  it('runs alone on SQLite when neither DATABASE_URL nor REDIS_URL is set', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({ databaseUrl: null, redisUrl: null, relayId: null, antiEntropyIntervalMs: 5_000, relayHeartbeatMs: 2_000 })
  })

  it('reads every scale-out variable', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://collab:secret@db:5432/collab?sslmode=require',
      REDIS_URL: 'rediss://:pw@cache:6380/0',
      RELAY_ID: 'eu-1.relay_2',
      ANTI_ENTROPY_INTERVAL_MS: '8000',
      RELAY_HEARTBEAT_MS: '1500',
    })
    expect(config).toMatchObject({
      databaseUrl: 'postgres://collab:secret@db:5432/collab?sslmode=require',
      redisUrl: 'rediss://:pw@cache:6380/0',
      relayId: 'eu-1.relay_2',
      antiEntropyIntervalMs: 8_000,
      relayHeartbeatMs: 1_500,
    })
    expect(loadConfig({ DATABASE_URL: 'postgresql:///collab?host=/run/postgresql' }).databaseUrl).toBe('postgresql:///collab?host=/run/postgresql')
  })

  it.each([
    [{ DATABASE_URL: 'mysql://root:hunter2@db/collab' }, 'DATABASE_URL', 'Invalid DATABASE_URL="mysql://root:***@db/collab": expected a URL like postgres://user:password@host:5432/collab'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', 'Invalid DATABASE_URL="not a url": expected a URL like postgres://user:password@host:5432/collab'],
    [{ DATABASE_URL: 'postgres://db/x', REDIS_URL: 'http://cache:6379' }, 'REDIS_URL', 'Invalid REDIS_URL="http://cache:6379": expected a URL like redis://host:6379'],
    [{ DATABASE_URL: 'postgres://db/x', RELAY_ID: 'has space' }, 'RELAY_ID', 'Invalid RELAY_ID="has space": expected 1-64 characters of A-Z a-z 0-9 _ . -'],
    [{ RELAY_ID: 'x'.repeat(65) }, 'RELAY_ID', `Invalid RELAY_ID="${'x'.repeat(65)}": expected 1-64 characters of A-Z a-z 0-9 _ . -`],
    [{ ANTI_ENTROPY_INTERVAL_MS: '50' }, 'ANTI_ENTROPY_INTERVAL_MS', 'Invalid ANTI_ENTROPY_INTERVAL_MS="50": expected an integer from 100 to 86400000'],
    [{ RELAY_HEARTBEAT_MS: 'soon' }, 'RELAY_HEARTBEAT_MS', 'Invalid RELAY_HEARTBEAT_MS="soon": expected an integer from 100 to 86400000'],
    [
      { REDIS_URL: 'redis://:topsecret@cache:6379' },
      'REDIS_URL',
      'Invalid REDIS_URL="redis://:***@cache:6379": expected DATABASE_URL to be set too (relays behind Redis must share one PostgreSQL database)',
    ],
  ])('refuses %j naming %s, never showing a password', (env, variable, message) => {
    const error = refusal(env)
    expect(error.variable).toBe(variable)
    expect(error.message).toBe(message)
    expect(error.message).not.toMatch(/hunter2|topsecret/)
  })

  it('--help lists the scale-out variables', () => {
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'RELAY_ID', 'ANTI_ENTROPY_INTERVAL_MS', 'RELAY_HEARTBEAT_MS']) {
      expect(configHelp()).toContain(name)
    }
  })
})
