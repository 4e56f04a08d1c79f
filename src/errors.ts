/** A place in a gate file, for messages: file:line:column (1-based). */
export interface SourcePosition {
  file: string
  line: number
  column: number
}

/** One problem in a gate file, with where it is and what to do about it. */
export interface ConfigIssue {
  position?: SourcePosition
  message: string
  /** "did you mean `expect`?" or another concrete next step. */
  hint?: string
}

/**
 * A mistake the user can fix (bad gate file, unknown gate, bad flag value): exit 2, printed
 * without a stack trace. Everything else that escapes is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly issues: ConfigIssue[]
  constructor(message: string, issues: ConfigIssue[] = [], options?: ErrorOptions) {
    super(message, options)
    this.name = 'UserError'
    this.issues = issues
  }

  /** "file:line:col: message (hint)" lines, one per issue, under the headline. */
  describe(): string {
    const lines = [this.message]
    for (const issue of this.issues) {
      const where = issue.position ? `${issue.position.file}:${issue.position.line}:${issue.position.column}: ` : ''
      lines.push(`  ${where}${issue.message}${issue.hint ? ` — ${issue.hint}` : ''}`)
    }
    return lines.join('\n')
  }
}

/** The gate file is wrong: nothing was measured. */
export class GateConfigError extends UserError {
  constructor(file: string, issues: ConfigIssue[]) {
    super(
      `${file}: ${issues.length === 1 ? 'a problem' : `${issues.length} problems`} in the gate file; nothing was ` +
        `measured.`,
      issues,
    )
    this.name = 'GateConfigError'
  }
}
