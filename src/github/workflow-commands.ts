// GitHub Actions workflow commands (`::error file=…,line=…::message`), escaped the way the runner unescapes
// them (actions/toolkit core/src/command.ts), so no text can end a command early or start another one.

export type AnnotationLevel = 'error' | 'warning' | 'notice'

export interface AnnotationProperties {
  title?: string
  file?: string
  line?: number
}

/** A command's message: `%`, CR and LF are the only characters the runner decodes there. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}

/** A property value: like the message, plus `:` (ends the properties) and `,` (separates them). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')
}

/** One annotation line; properties without a value are left out. */
export function annotation(level: AnnotationLevel, message: string, properties: AnnotationProperties = {}): string {
  const props = Object.entries(properties)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',')
  return `::${level}${props ? ` ${props}` : ''}::${escapeData(message)}`
}
