// What the demo's scripts share: one HTTP call that checks its status, a user session, argument helpers.

/** One JSON call to the demo at `base`; throws with the answer when the status is not `expected`. */
export async function call(base, method, path, body, expected) {
  const response = await fetch(new URL(path, base), {
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : {'content-type': 'application/json'},
    method,
  })
  const text = await response.text()
  if (response.status !== expected)
    throw new Error(`${method} ${path} answered ${response.status} ${text.slice(0, 200)}`)
  return text ? JSON.parse(text) : undefined
}

/**
 * What a dashboard user does: take an agent from the fleet, read a dashboard snapshot, save and read
 * back a preference in the cache (one of `users` users' keys), and give the agent back.
 */
export async function session(base, n, users) {
  const {allocationId} = await call(base, 'POST', '/fleet/allocations', {}, 201)
  try {
    await call(base, 'GET', '/dashboard/snapshot', undefined, 200)
    const key = `user-${n % users}-preferences`
    await call(base, 'PUT', `/cache/items/${key}`, {layout: 'grid', session: n}, 204)
    await call(base, 'GET', `/cache/items/${key}`, undefined, 200)
  } finally {
    await call(base, 'DELETE', `/fleet/allocations/${allocationId}`, undefined, 204)
  }
}

/** A whole-number option of at least 1, or exit 2 with the usage. */
export function whole(name, text, usage) {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1)
    fail(`--${name} must be a whole number of at least 1, got "${text}"\n${usage}`)
  return value
}

/** A demo URL argument, or exit 2 with the usage. */
export function demoUrl(text, usage) {
  if (!text || !URL.canParse(text)) fail(`a demo URL is required, e.g. http://127.0.0.1:3000\n${usage}`)
  return text
}

export function fail(message) {
  console.error(message)
  process.exit(2)
}
