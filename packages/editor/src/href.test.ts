import { describe, expect, it } from 'vitest'
import { isSafeHref, maxHrefLength, sanitizeHref, UnsafeHrefError } from './href'

describe('sanitizeHref', () => {
  it.each([
    ['https://example.com/a?b=c#d', 'https://example.com/a?b=c#d'],
    ['http://example.com', 'http://example.com'],
    ['HTTPS://EXAMPLE.COM', 'HTTPS://EXAMPLE.COM'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
    ['  https://example.com  ', 'https://example.com'],
    ['/relative/path', '/relative/path'],
    ['page.html', 'page.html'],
    ['#anchor', '#anchor'],
    ['?q=1', '?q=1'],
    ['//example.com/x', '//example.com/x'],
    ['/path/with:colon', '/path/with:colon'],
    ['?next=javascript:alert(1)', '?next=javascript:alert(1)'],
  ])('keeps %j', (input, expected) => {
    expect(sanitizeHref(input)).toBe(expected)
  })

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    '  javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    '\u0000javascript:alert(1)',
    'jav\u00adascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'DATA:text/html;base64,PHNjcmlwdD4=',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://example.com',
    'foo:bar',
    '',
    '   ',
    '\t\n',
  ])('refuses %j', (input) => {
    expect(sanitizeHref(input)).toBeNull()
    expect(isSafeHref(input)).toBe(false)
  })

  it('refuses non-strings and over-long hrefs', () => {
    expect(sanitizeHref(null)).toBeNull()
    expect(sanitizeHref(42)).toBeNull()
    expect(sanitizeHref({ toString: () => 'https://x' })).toBeNull()
    expect(sanitizeHref(`https://example.com/${'a'.repeat(maxHrefLength)}`)).toBeNull()
  })

  it('UnsafeHrefError names the refused value', () => {
    const error = new UnsafeHrefError('javascript:alert(1)')
    expect(error.message).toContain('"javascript:alert(1)"')
    expect(error.message).toContain('http, https, mailto')
    expect(error.href).toBe('javascript:alert(1)')
    expect(error.name).toBe('UnsafeHrefError')
  })
})
