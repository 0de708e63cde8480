import { defineConfig } from '@playwright/test'

const onCI = Boolean(process.env.CI)

/** Debian's Chromium; Playwright's own browser downloads do not work on these machines. */
const CHROMIUM_PATH = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'specs',
  outputDir: 'test-results',
  // CI machines have 2 cores shared with the relay processes the tests start.
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : onCI ? 1 : 2,
  fullyParallel: false,
  retries: 0,
  forbidOnly: onCI,
  // Generous: a slow CI machine runs Chromium, several contexts and a relay on 2 cores.
  timeout: onCI ? 180_000 : 120_000,
  globalTimeout: 30 * 60_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['./support/summary-reporter.ts']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    actionTimeout: 20_000,
    navigationTimeout: 30_000,
    screenshot: 'only-on-failure',
    trace: process.env.E2E_TRACE ? 'retain-on-failure' : 'off',
  },
})
