// The load engine alone in its own process (nothing else loaded), reporting its RSS while it runs:
// node memory.mjs URL CONNECTIONS DURATION_MS REQUESTS → one JSON line {start, samples}
import {runLoad} from '../../dist/load/index.js'

const [url, connections, durationMs, requests] = process.argv.slice(2)
const mib = () => process.memoryUsage().rss / 1024 ** 2
const start = mib()
const samples = []
await runLoad({
  connections: Number(connections),
  durationMs: Number(durationMs),
  onProgress: () => samples.push(mib()),
  url,
  ...(Number(requests) > 0 ? {requests: Number(requests)} : {}),
})
console.log(JSON.stringify({samples, start}))
