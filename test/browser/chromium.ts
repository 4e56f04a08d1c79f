// Opens report pages in headless Chromium (apt `chromium`) and reads back what a reviewer would see: every
// request, console message, page error and dialog, the charts with their marks, and any text outside its box.
import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {type Browser, chromium, type Page} from 'playwright-core'

import {ROOT} from '../integration/helpers.js'
import {requireProgram} from '../integration/servers/required.js'

/** Screenshots land here so CI can keep them as artifacts. */
export const ARTIFACT_DIR = path.join(ROOT, 'test-artifacts', 'html')

/** Chromium from apt: missing on CI fails the suite, missing locally skips it loudly. */
export function findChromium(): string | undefined {
  return requireProgram('Chromium', 'apt-get install chromium', 'chromium', '/usr/bin/chromium', 'chromium-browser')
}

export async function launch(executablePath: string): Promise<Browser> {
  mkdirSync(ARTIFACT_DIR, {recursive: true})
  return chromium.launch({
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    executablePath,
    headless: true,
  })
}

export interface PageEvents {
  /** Every request other than the report file itself; all of them are aborted. */
  requests: string[]
  /** Console errors and warnings. */
  console: string[]
  pageErrors: string[]
  dialogs: string[]
}

export interface OpenOptions {
  colorScheme?: 'light' | 'dark'
  media?: 'screen' | 'print'
  width?: number
}

/** Opens `file` in a fresh context and records everything the page tries to do; close the page's context when done. */
export async function openReport(
  browser: Browser,
  file: string,
  options: OpenOptions = {},
): Promise<{page: Page; events: PageEvents}> {
  const url = pathToFileURL(file).href
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? 'light',
    javaScriptEnabled: true,
    viewport: {height: 900, width: options.width ?? 1280},
  })
  const events: PageEvents = {console: [], dialogs: [], pageErrors: [], requests: []}
  await context.route('**/*', async (route) => {
    if (route.request().url() === url) return route.continue()
    events.requests.push(`routed: ${route.request().url()}`)
    return route.abort()
  })
  const page = await context.newPage()
  page.on('request', (request) => {
    if (request.url() !== url) events.requests.push(request.url())
  })
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      events.console.push(`${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => events.pageErrors.push(error.message))
  page.on('dialog', async (dialog) => {
    events.dialogs.push(`${dialog.type()}: ${dialog.message()}`)
    await dialog.dismiss()
  })
  if (options.media) await page.emulateMedia({media: options.media})
  await page.goto(url, {waitUntil: 'load'})
  return {events, page}
}

/**
 * The whole page, or only what fits the window (the decision and the overview) where the whole would be slow to encode.
 */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  const file = path.join(ARTIFACT_DIR, `${name}.png`)
  await page.screenshot({fullPage, path: file})
  return file
}

export interface ChartSeen {
  chart: string
  metric: string | null
  /** Id of the target section the chart is in, or null for the overview. */
  target: string | null
  declaredBars: number | null
  declaredPoints: number | null
  bars: number
  points: number
  /** role="img", an aria-label and a <title> with the same text, on the chart or on each of its rows. */
  labelled: boolean
  visible: boolean
  /** Rows of the chart's table alternative, or null when it has none. */
  tableRows: number | null
  /** Whether that table takes space on the page (it sits in a closed <details> on screen). */
  tableShown: boolean
}

export interface ConfidenceRowSeen {
  status: string
  /** Bar width, PASS line and FAIL line as fractions of the track. */
  bar: number
  pass: number
  fail: number
}

export interface PageReport {
  charts: ChartSeen[]
  confidenceRows: ConfidenceRowSeen[]
  /** Text or boxes that do not stay inside the box that holds them. */
  overflow: string[]
  scripts: number
  eventAttributes: string[]
  /**
   * Elements that could load something: img, iframe, object, embed, link, base, form, [src], [srcset], non-fragment
   * [href].
   */
  loaders: string[]
  background: [number, number, number]
  color: [number, number, number]
  text: string
}

// Runs in the page, so it is plain JavaScript in a string: the test build has no DOM types.
const INSPECT = `(() => {
  const SLACK = 1
  const overflow = []
  const name = (el) => {
    const section = el.closest('[id]')
    const text = (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 50)
    return el.tagName.toLowerCase() + (section ? ' in #' + section.id : '') + ' "' + text + '"'
  }
  const isBox = (el) => !['inline', 'contents'].includes(getComputedStyle(el).display)
  const boxOf = (node) => {
    let el = node.parentElement
    while (el && el !== document.body && !isBox(el)) el = el.parentElement
    return el
  }
  const root = document.documentElement
  if (root.scrollWidth > root.clientWidth + SLACK)
    overflow.push('the page scrolls sideways: ' + root.scrollWidth + ' > ' + root.clientWidth)
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || node.parentElement.closest('svg')) continue
    const box = boxOf(node)
    // Not rendered: inside a closed <details>.
    if (!box.checkVisibility()) continue
    const b = box.getBoundingClientRect()
    const range = document.createRange()
    range.selectNodeContents(node)
    for (const r of range.getClientRects()) {
      if (r.width > 0 && (r.left < b.left - SLACK || r.right > b.right + SLACK)) {
        overflow.push('text leaves its box: ' + name(box))
        break
      }
    }
  }
  for (const el of document.body.querySelectorAll('*')) {
    if (el.tagName.toLowerCase() !== 'svg' && el.closest('svg')) continue
    if (!el.checkVisibility()) continue
    const r = el.getBoundingClientRect()
    const parent = boxOf(el)
    if (!parent || parent === document.body) continue
    const p = parent.getBoundingClientRect()
    if (r.left < p.left - SLACK || r.right > p.right + SLACK)
      overflow.push('box sticks out of ' + parent.tagName.toLowerCase() + ': ' + name(el))
  }
  for (const t of document.querySelectorAll('svg text')) {
    if (!t.checkVisibility()) continue
    const r = t.getBoundingClientRect()
    const s = t.ownerSVGElement.getBoundingClientRect()
    if (r.left < s.left - SLACK || r.right > s.right + SLACK || r.top < s.top - SLACK || r.bottom > s.bottom + SLACK)
      overflow.push('chart text leaves its chart: ' + name(t))
  }
  const labelled = (svg) =>
    svg.getAttribute('role') === 'img' &&
    !!svg.getAttribute('aria-label') &&
    svg.querySelector(':scope > title')?.textContent === svg.getAttribute('aria-label')
  const charts = [...document.querySelectorAll('[data-chart]')].map((c) => {
    const table = c.closest('figure')?.querySelector('table')
    const number = (v) => (v === undefined ? null : Number(v))
    return {
      bars: c.querySelectorAll('[data-bar]').length,
      chart: c.dataset.chart,
      declaredBars: number(c.dataset.bars),
      declaredPoints: number(c.dataset.points),
      labelled:
        c.tagName.toLowerCase() === 'svg'
          ? labelled(c)
          : [...c.querySelectorAll('svg')].filter((svg) => !svg.closest('[aria-hidden]')).every(labelled),
      metric: c.dataset.metric ?? null,
      points: c.querySelectorAll('[data-point]').length,
      tableRows: table ? table.querySelectorAll('tbody tr').length : null,
      tableShown: table ? table.checkVisibility() : false,
      target: c.closest('article')?.id ?? null,
      visible: c.checkVisibility() && c.getBoundingClientRect().height > 0,
    }
  })
  const confidenceRows = [...document.querySelectorAll('.confidence-row:not(.confidence-scale)')].map((row) => {
    const track = row.querySelector('.track').getBoundingClientRect()
    const at = (el) => {
      const box = el.getBoundingClientRect()
      return (box.left + box.width / 2 - track.left) / track.width
    }
    return {
      bar: row.querySelector('.bar').getBoundingClientRect().width / track.width,
      fail: at(row.querySelector('.fail-line')),
      pass: at(row.querySelector('.pass-line')),
      status: row.className.replace('confidence-row ', '').replace('s-', ''),
    }
  })
  const loading = 'img, iframe, object, embed, link, base, form, [src], [srcset], [href]:not([href^="#"])'
  const rgb = (text) => (text.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map(Number)
  return {
    background: rgb(getComputedStyle(document.documentElement).backgroundColor),
    charts,
    color: rgb(getComputedStyle(document.body).color),
    confidenceRows,
    eventAttributes: [...document.querySelectorAll('*')].flatMap((el) =>
      [...el.attributes].filter((a) => a.name.toLowerCase().startsWith('on')).map((a) => el.tagName + ' ' + a.name),
    ),
    loaders: [...document.querySelectorAll(loading)].map((el) => el.outerHTML.slice(0, 100)),
    overflow,
    scripts: document.querySelectorAll('script').length,
    text: document.body.innerText,
  }
})()`

export function inspect(page: Page): Promise<PageReport> {
  return page.evaluate(INSPECT) as Promise<PageReport>
}

/** Relative luminance of an sRGB colour, 0 (black) to 1 (white). */
export function luminance([r, g, b]: [number, number, number]): number {
  const linear = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4)
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}
