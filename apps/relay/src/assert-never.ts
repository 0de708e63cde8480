/** Exhaustiveness check for switches over unions: a new member makes the call site a type error. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value ${JSON.stringify(value)}`)
}
