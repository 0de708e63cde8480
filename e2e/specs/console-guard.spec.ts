// Every test fails when its pages print a console error or warning or throw an uncaught error.
// First the guard's recording is checked directly; then tests marked test.fail() check that the
// peers fixture really fails a test (they pass only if it does). No web app needed: plain HTML.
import { ConsoleGuard } from '../support/console-guard'
import { expect, test } from '../support/test'

test('the console guard records errors, warnings and uncaught errors, and nothing else', async ({ browser }) => {
  const guard = new ConsoleGuard()
  const context = await browser.newContext()
  try {
    guard.watch(context, 'X')
    const page = await context.newPage()
    await page.setContent('<p>guard</p>')
    await page.evaluate(() => {
      console.log('probe: log')
      console.info('probe: info')
      console.debug('probe: debug')
      console.warn('probe: warning')
      console.error('probe: error')
      setTimeout(() => {
        throw new Error('probe: uncaught')
      }, 0)
    })
    await expect.poll(() => guard.failures.length).toBe(3)
    expect(guard.failures.map((failure) => [failure.kind, failure.type])).toEqual([
      ['console', 'warning'],
      ['console', 'error'],
      ['pageerror', 'pageerror'],
    ])
    const report = guard.describeFailures() ?? ''
    expect(report).toContain('[X] console.warning: probe: warning')
    expect(report).toContain('[X] console.error: probe: error')
    expect(report).toContain('[X] uncaught error: Error: probe: uncaught')
    expect(guard.log).toContain('probe: info')

    guard.allow(/^probe: error$/, 'provoked on purpose')
    expect(guard.failures).toHaveLength(2)
    expect(guard.allowed).toEqual(['[X] probe: error  (allowed: provoked on purpose)'])
  } finally {
    await context.close()
  }
})

test.describe('the peers fixture fails the test', () => {
  test('on console.error', async ({ peers }) => {
    test.fail(true, 'the fixture must fail this test at teardown')
    const [peer] = await peers.open(1)
    await peer!.page.setContent('<p>guard</p>')
    await peer!.page.evaluate(() => console.error('e2e guard probe: error'))
    await expect.poll(() => peers.guard.failures.length).toBe(1)
  })

  test('on an uncaught error in the second of two pages', async ({ peers }) => {
    test.fail(true, 'the fixture must fail this test at teardown')
    const [, second] = await peers.open(2)
    await second!.page.setContent('<p>guard</p>')
    await second!.page.evaluate(() => {
      setTimeout(() => {
        throw new Error('e2e guard probe: uncaught')
      }, 0)
    })
    await expect.poll(() => peers.guard.failures.length).toBe(1)
  })
})

test('the peers fixture lets explicitly allowed messages through', async ({ peers }) => {
  const [peer] = await peers.open(1)
  peers.allowConsole(/^e2e guard probe: expected$/, 'this test provokes it on purpose')
  await peer!.page.setContent('<p>guard</p>')
  await peer!.page.evaluate(() => console.error('e2e guard probe: expected'))
  await expect.poll(() => peers.guard.allowed.length).toBe(1)
})
