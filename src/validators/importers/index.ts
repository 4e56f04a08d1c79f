// The file formats the artifact validator reads, by the name a gate gives in `format:`.
import {autocannonImporter} from './autocannon.js'
import type {Importer} from './fields.js'
import {hyperfineImporter} from './hyperfine.js'
import {jsonImporter, ndjsonImporter} from './json.js'
import {junitImporter} from './junit.js'
import {k6Importer} from './k6.js'

// In the order `gate` lists them: the generic formats first.
export const IMPORTERS = {
  json: jsonImporter,
  ndjson: ndjsonImporter,
  k6: k6Importer,
  autocannon: autocannonImporter,
  hyperfine: hyperfineImporter,
  junit: junitImporter,
} as const satisfies Record<string, Importer>

export type ArtifactFormat = keyof typeof IMPORTERS

export type {ArtifactFile, Imported, Importer, ReadingRequest, ReadingSpec, Scalar} from './fields.js'
