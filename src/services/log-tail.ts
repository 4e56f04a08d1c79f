import type {Readable} from 'node:stream'

/** A line longer than this is cut, so a process printing without newlines cannot grow memory. */
const MAX_LINE_CHARS = 8192

/** The last lines a process printed (stdout and stderr together), bounded, with live listeners. */
export class LogTail {
  private readonly buffer: string[] = []
  private readonly listeners = new Set<(line: string) => void>()

  /** `redact` runs on each whole line before it is cut, so a cut never splits a secret the redactor would then miss. */
  constructor(
    private readonly capacity = 50,
    private readonly redact: (text: string) => string = (text) => text,
  ) {}

  /** Splits a stream into lines; each stream keeps its own partial line so outputs never mix mid-line. */
  attach(stream: Readable | null | undefined): void {
    if (!stream) return
    let partial = ''
    // After an overlong line is shown cut, the rest of it is dropped: shown as a line of its own it could start
    // mid-secret.
    let skipping = false
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop() ?? ''
      if (skipping) {
        // Without a newline the whole chunk is still the overlong line; with one, the first part ends it.
        if (parts.length === 0) {
          partial = ''
          return
        }
        parts.shift()
        skipping = false
      }
      for (const line of parts) this.add(line)
      if (partial.length > MAX_LINE_CHARS) {
        this.add(partial)
        partial = ''
        skipping = true
      }
    })
    stream.on('end', () => {
      if (partial) this.add(partial)
      partial = ''
    })
  }

  add(raw: string): void {
    const line = this.redact(raw.endsWith('\r') ? raw.slice(0, -1) : raw)
    const kept = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line
    this.buffer.push(kept)
    if (this.buffer.length > this.capacity) this.buffer.shift()
    for (const listener of this.listeners) listener(kept)
  }

  /** Calls `listener` for every new line; returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The kept lines, oldest first; `count` limits them to the newest ones. */
  lines(count = this.capacity): string[] {
    return this.buffer.slice(-count)
  }
}
