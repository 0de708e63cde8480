/** Float64Array ⇄ base64, to ship large timestamp arrays over the worker IPC channel cheaply. */
export function float64ToBase64(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64')
}

export function base64ToFloat64(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64')
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return new Float64Array(copy.buffer)
}

/** A growable list of float64 values without per-element allocation. */
export class Float64List {
  private data = new Float64Array(1024)
  length = 0

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2)
      bigger.set(this.data)
      this.data = bigger
    }
    this.data[this.length++] = value
  }

  toArray(): Float64Array {
    return this.data.slice(0, this.length)
  }
}
