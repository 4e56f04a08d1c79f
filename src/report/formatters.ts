import type {RunResults} from '../results/types.js'
import {type Escaper, escapeMarkdown, escapeMarkdownLine, escapeView, escapeXml, plainLine} from './escape.js'
import {renderHtml} from './html/view.js'
import {renderTerminal, type TerminalOptions} from './terminal.js'
import {template} from './templates.js'
import {buildReportView} from './view-model.js'

export type RenderOptions = TerminalOptions

export interface Formatter {
  /** Appended to the run id to name the report file. */
  extension: string
  render(results: RunResults, options: RenderOptions): string
}

/** A format that is a template over the view model escaped for it: a new format is one line here plus a template. */
function templated(file: string, escape: Escaper, extension: string): Formatter {
  return {extension, render: (results) => template(file)(escapeView(buildReportView(results), escape))}
}

/** Every report format; `html` or `comment` are further entries, not special cases. */
export const FORMATTERS = {
  json: {extension: '.json', render: (results: RunResults) => `${JSON.stringify(results, null, 2)}\n`},
  junit: templated('junit.xml.hbs', escapeXml, '.junit.xml'),
  md: templated('report.md.hbs', escapeMarkdown, '.md'),
  terminal: {
    extension: '.txt',
    render: (results: RunResults, options: RenderOptions) =>
      renderTerminal(escapeView(buildReportView(results), plainLine), options),
  },
  // Printed to CI logs as often as rendered: escaped only where Markdown would act, so a log reads it as written.
  checklist: templated('checklist.md.hbs', escapeMarkdownLine, '.checklist.md'),
  // The report view escaped for HTML plus charts built from the results (src/report/html/view.ts).
  html: {extension: '.html', render: renderHtml},
} satisfies Record<string, Formatter>

export type ReportFormat = keyof typeof FORMATTERS

export const REPORT_FORMATS = Object.keys(FORMATTERS) as ReportFormat[]
