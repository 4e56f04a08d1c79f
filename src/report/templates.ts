import {readdirSync, readFileSync} from 'node:fs'

import type Handlebars from 'handlebars'

import {handlebars as loadHandlebars} from '../lazy.js'

/** templates/ at the package root, the same from src/report/ and dist/report/. */
export const TEMPLATE_DIR = new URL('../../templates/', import.meta.url)

// noEscape: the view model is escaped for the target format before rendering (Handlebars' HTML escaping
// would double-escape Markdown and is wrong for XML); strict: a field missing from the view is a bug;
// knownHelpersOnly: templates get if/each/unless/with and nothing that could compute or print raw data.
const COMPILE_OPTIONS = {knownHelpersOnly: true, noEscape: true, strict: true} as const

let environment: typeof Handlebars | undefined
const compiled = new Map<string, Handlebars.TemplateDelegate>()

/** An isolated Handlebars with every partial in templates/partials/ registered under its file name. */
function handlebars(): typeof Handlebars {
  if (environment) return environment
  const hbs = loadHandlebars().create()
  const partials = new URL('partials/', TEMPLATE_DIR)
  for (const file of readdirSync(partials).filter((name) => name.endsWith('.hbs'))) {
    hbs.registerPartial(
      file.slice(0, -'.hbs'.length),
      hbs.compile(readFileSync(new URL(file, partials), 'utf8'), COMPILE_OPTIONS),
    )
  }
  environment = hbs
  return hbs
}

/** Compiles templates/<name> once per process. */
export function template(name: string): Handlebars.TemplateDelegate {
  let compiledTemplate = compiled.get(name)
  if (!compiledTemplate) {
    const hbs = handlebars()
    compiledTemplate = hbs.compile(readFileSync(new URL(name, TEMPLATE_DIR), 'utf8'), COMPILE_OPTIONS)
    compiled.set(name, compiledTemplate)
  }
  return compiledTemplate
}
