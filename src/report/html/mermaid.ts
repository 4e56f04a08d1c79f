// The Markdown report's chart: confidence per target as a Mermaid xychart, which GitHub draws from a ```mermaid block.
import type {RunResults} from '../../results/types.js'
import {clip, plainLine} from '../escape.js'

export interface MermaidConfidenceChart {
  title: string
  /** One category per target: "1 Fleet manager 1000+ agents…" */
  labels: string[]
  /** Confidence per target, three decimals. */
  values: string[]
  /**
   * The PASS line (settings.confidence) and the FAIL line (1 − confidence), one point per target so they span the
   * chart.
   */
  passLine: string[]
  failLine: string[]
}

const LABEL_MAX = 32

/**
 * Characters a Mermaid label keeps: letters, marks, digits, spaces and punctuation that is neither Mermaid syntax
 * (quotes, brackets, `#…;` entities, `%%` comments, `-->`) nor changed by any report escaper (Markdown, HTML, XML),
 * so the label reads the same in the fenced block whatever escaping the format applies to its view.
 */
const OUTSIDE_LABEL = /[^\p{L}\p{M}\p{N} .,()+/=!?\u2013\u2014-]/gu

/** A target name as a quoted Mermaid category: unsafe characters become spaces; never empty. */
export function mermaidLabel(text: string, fallback: string): string {
  const kept = plainLine(text)
    .replace(OUTSIDE_LABEL, ' ')
    // Markdown escaping breaks "www." (GitHub would link it); a space keeps the label a fixed point of it.
    .replace(/\b(www)\./giu, '$1 ')
    .replace(/\s+/gu, ' ')
    .trim()
  return clip(kept, LABEL_MAX).trim() || fallback
}

export function mermaidConfidenceChart(results: RunResults): MermaidConfidenceChart {
  const pass = results.settings.confidence
  const fail = 1 - pass
  const repeat = (x: number) => results.targets.map(() => x.toFixed(3))
  return {
    failLine: repeat(fail),
    labels: results.targets.map((t, i) => mermaidLabel(`${i + 1} ${t.title || t.id}`, `${i + 1}`)),
    passLine: repeat(pass),
    // The lines judge P, not the consensus weight c (scoring v2): a chart of c would show an artifact PASS below its
    // line.
    title: `P(holds) per target (PASS line at ${pass.toFixed(2)}, FAIL line at ${fail.toFixed(2)})`,
    values: results.targets.map((t) => (t.p ?? 0).toFixed(3)),
  }
}
