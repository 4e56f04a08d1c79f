import {UserError} from '../errors.js'
import type {RunResults} from '../results/types.js'
import {FORMATTERS, type RenderOptions, REPORT_FORMATS, type ReportFormat} from './formatters.js'

export {escapeHtml, escapeMarkdown, escapeMarkdownLine, escapeXml, plainLine} from './escape.js'
export {FORMATTERS, type Formatter, type RenderOptions, REPORT_FORMATS, type ReportFormat} from './formatters.js'
export {buildReportView, type ReportView} from './view-model.js'

/** Renders one saved or fresh run in one format; every format reads the same RunResults. */
export function renderReport(results: RunResults, format: ReportFormat, options: RenderOptions = {}): string {
  return formatterFor(format).render(results, options)
}

/** "<run id><extension>", reduced to characters that are safe in a file name on every OS. */
export function reportFileName(results: RunResults, format: ReportFormat): string {
  const stem =
    results.id
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/\.{2,}/g, '.')
      .replace(/^[.-]+/, '')
      .slice(0, 120) || 'report'
  return `${stem}${formatterFor(format).extension}`
}

function formatterFor(format: string) {
  // Formats arrive from flags and saved settings at run time, so the type alone is not enough.
  if (!Object.hasOwn(FORMATTERS, format))
    throw new UserError(`unknown report format "${format}"; use one of ${REPORT_FORMATS.join(', ')}`)
  return FORMATTERS[format as ReportFormat]
}
