// The demo's WebAssembly kernel (AssemblyScript): escape-time iterations of a Mandelbrot tile.
// Its JavaScript twin is ../mandelbrot.js; the two must give identical answers on every input.

/**
 * Sum of escape-time iterations over a `size`×`size` tile of the complex plane whose top-left pixel
 * is (x0, y0) and whose pixels are `step` apart; each pixel iterates z = z² + c at most `maxIterations` times.
 */
export function mandelbrotTile(x0: f64, y0: f64, step: f64, size: i32, maxIterations: i32): i32 {
  let total: i32 = 0
  for (let row: i32 = 0; row < size; row++) {
    const ci = y0 + <f64>row * step
    for (let col: i32 = 0; col < size; col++) {
      const cr = x0 + <f64>col * step
      let zr: f64 = 0
      let zi: f64 = 0
      let n: i32 = 0
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
  return total
}
