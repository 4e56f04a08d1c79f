// Reference servers for bench/run.ts, on 127.0.0.1 only: node server.mjs MODE [options as JSON]
//   fast       200 "ok" at once
//   lognormal  each response delayed by a seeded lognormal draw; GET /truth returns the delays used (ms)
//   stall      answers at once, except that every response in [stallAt, stallAt + stallMs) after the first request
// waits for the stall's end
import http from 'node:http'

const [mode = 'fast', json = '{}'] = process.argv.slice(2)
const options = JSON.parse(json)
const delays = []
let state = options.seed ?? 1
// mulberry32: a seeded uniform, so the injected distribution is the same every round
const uniform = () => {
  state = (state + 0x6d2b79f5) | 0
  let t = Math.imul(state ^ (state >>> 15), 1 | state)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform())
let firstAt

const server = http.createServer((req, res) => {
  if (req.url === '/truth') return res.end(JSON.stringify(delays))
  if (mode === 'lognormal') {
    const delay = options.medianMs * Math.exp(options.sigma * normal())
    delays.push(delay)
    return setTimeout(() => res.end('ok'), delay)
  }
  if (mode === 'stall') {
    const now = performance.now()
    firstAt ??= now
    const stallStart = firstAt + options.stallAt
    const stallEnd = stallStart + options.stallMs
    if (now >= stallStart && now < stallEnd) return setTimeout(() => res.end('ok'), stallEnd - now)
  }
  res.end('ok')
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
process.on('SIGTERM', () => process.exit(0))
