/** See bin/engines.js. */
export function unsupportedNode(version: string, range: string): string | undefined
