// The JavaScript twin of assembly/mandelbrot.ts, plain ES module committed as source: the reference
// the wasm validator checks the kernel against and times it beside. Same arithmetic, same order, so
// both give bit-identical answers.

/**
 * Sum of escape-time iterations over a `size`×`size` tile of the complex plane whose top-left pixel
 * is (x0, y0) and whose pixels are `step` apart; each pixel iterates z = z² + c at most `maxIterations` times.
 */
export function mandelbrotTile(x0, y0, step, size, maxIterations) {
  let total = 0
  for (let row = 0; row < size; row++) {
    const ci = y0 + row * step
    for (let col = 0; col < size; col++) {
      const cr = x0 + col * step
      let zr = 0
      let zi = 0
      let n = 0
      while (n < maxIterations) {
        const zr2 = zr * zr
        const zi2 = zi * zi
        if (zr2 + zi2 > 4) break
        zi = 2 * zr * zi + ci
        zr = zr2 - zi2 + cr
        n++
      }
      total += n
    }
  }
  return total | 0
}

/** Tile side in pixels and iteration cap of every generated tile: one call is about 1000 pixels. */
const TILE_SIZE = 32
const MAX_ITERATIONS = 256
/** Tiles are 0.1 wide and start anywhere in the view [-2, 0.6] × [-1.2, 1.2] that frames the set. */
const TILE_WIDTH = 0.1

/**
 * The inputs generator (`inputs: {generate: tiles, count: N}`): `count` argument lists
 * [x0, y0, step, size, maxIterations] for tiles spread over the set, the same ones for the same seed.
 */
export function tiles(count, seed) {
  const random = mulberry32(seed)
  return Array.from({length: count}, () => [
    -2 + random() * 2.5,
    -1.2 + random() * 2.3,
    TILE_WIDTH / TILE_SIZE,
    TILE_SIZE,
    MAX_ITERATIONS,
  ])
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
function mulberry32(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
