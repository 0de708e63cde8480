// Command-line options of the bench's standalone scripts (src/micro/*): `--name value`.

/** The value after `--<name>`, or `fallback`. */
export function argument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback
}
