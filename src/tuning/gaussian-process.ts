/**
 * Gaussian-process regression on the unit cube, the surrogate model of the Bayesian search.
 *
 * - Matérn 5/2 kernel: the usual choice for hyperparameter surfaces (Snoek et al. 2012), smooth
 *   enough to extrapolate a little, rough enough not to invent oscillations the way RBF does.
 * - Observations are standardised, so one prior fits any objective's scale.
 * - The signal variance s² has a closed form given the other settings (the profile likelihood),
 *   and the lengthscale and noise are picked from small grids by the log marginal likelihood.
 *   A grid rather than gradient ascent: with a few dozen observations the likelihood is flat and
 *   multimodal, and a grid is deterministic and never diverges.
 * - Cholesky with growing jitter for the (near-)duplicate points a search produces.
 *
 * Indices in the loops are in bounds by construction; `!` keeps the arithmetic readable.
 */

const SQRT5 = Math.sqrt(5)
const LOG_2PI = Math.log(2 * Math.PI)

export const DEFAULT_LENGTHSCALES = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2]
/** Noise variance as a fraction of the signal variance. */
export const DEFAULT_NOISES = [1e-4, 1e-2, 1e-1]

/** Matérn 5/2 correlation at distance r measured in lengthscales. */
export function matern52 (r: number): number {
  const s = SQRT5 * r
  return (1 + s + (s * s) / 3) * Math.exp(-s)
}

/** In-place lower Cholesky factor of the n×n row-major matrix a; false when not positive definite. */
export function cholesky (a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n
    let s = a[rj + j]!
    for (let k = 0; k < j; k++) s -= a[rj + k]! * a[rj + k]!
    if (!(s > 0)) return false
    const ljj = Math.sqrt(s)
    a[rj + j] = ljj
    for (let i = j + 1; i < n; i++) {
      const ri = i * n
      let t = a[ri + j]!
      for (let k = 0; k < j; k++) t -= a[ri + k]! * a[rj + k]!
      a[ri + j] = t / ljj
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0
  }
  return true
}

/** Solves L x = b in place (L lower triangular, row-major). */
function forward (l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let t = b[i]!
    const ri = i * n
    for (let k = 0; k < i; k++) t -= l[ri + k]! * b[k]!
    b[i] = t / l[ri + i]!
  }
}

/** Solves Lᵀ x = b in place. */
function backward (l: Float64Array, n: number, b: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let t = b[i]!
    for (let k = i + 1; k < n; k++) t -= l[k * n + i]! * b[k]!
    b[i] = t / l[i * n + i]!
  }
}

interface Factor { l: Float64Array, alpha: Float64Array, s2: number, logMl: number }

/** Factorises C = K + g·I with jitter, and scores it by the profile log marginal likelihood. */
function factor (kernel: Float64Array, n: number, noise: number, y: Float64Array): Factor | undefined {
  for (let jitter = 0; jitter <= 1e-4; jitter = jitter === 0 ? 1e-10 : jitter * 100) {
    const l = Float64Array.from(kernel)
    for (let i = 0; i < n; i++) l[i * n + i]! += noise + jitter
    if (!cholesky(l, n)) continue
    const alpha = Float64Array.from(y)
    forward(l, n, alpha)
    backward(l, n, alpha)
    let quad = 0
    let logDet = 0
    for (let i = 0; i < n; i++) {
      quad += y[i]! * alpha[i]!
      logDet += Math.log(l[i * n + i]!)
    }
    // The signal variance that maximises the likelihood for this kernel and noise, in closed form.
    const s2 = Math.max(quad / n, 1e-12)
    return { l, alpha, s2, logMl: -0.5 * n * Math.log(s2) - logDet - 0.5 * n * (1 + LOG_2PI) }
  }
  return undefined
}

/** Points as one row-major array: typed, monomorphic access in the hot loops. */
function flatten (points: ReadonlyArray<ArrayLike<number>>, d: number): Float64Array {
  const flat = new Float64Array(points.length * d)
  points.forEach((p, i) => { for (let k = 0; k < d; k++) flat[i * d + k] = p[k]! })
  return flat
}

export interface Prediction { mean: Float64Array, sd: Float64Array }

export interface GaussianProcess {
  lengthscale: number
  /** Noise variance as a fraction of the signal variance. */
  noise: number
  logMarginalLikelihood: number
  /** Posterior mean and standard deviation of the latent function, in the units of y. */
  predict: (points: ReadonlyArray<ArrayLike<number>>) => Prediction
}

export interface GpOptions { lengthscales?: number[], noises?: number[] }

/** Fits a GP to points x (each in [0,1]^d) with values y; needs at least one point. */
export function fitGp (x: ReadonlyArray<ArrayLike<number>>, y: ArrayLike<number>, opts: GpOptions = {}): GaussianProcess {
  const n = x.length
  if (n === 0 || y.length !== n) throw new RangeError(`fitGp needs as many values as points, at least one (got ${n} and ${y.length})`)
  const d = x[0]!.length
  let mu = 0
  for (let i = 0; i < n; i++) mu += y[i]!
  mu /= n
  let v = 0
  for (let i = 0; i < n; i++) v += (y[i]! - mu) ** 2
  const scale = n > 1 && v / n > 1e-24 ? Math.sqrt(v / n) : 1
  const z = new Float64Array(n)
  for (let i = 0; i < n; i++) z[i] = (y[i]! - mu) / scale

  const xf = flatten(x, d)
  const dist = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let s = 0
      for (let k = 0; k < d; k++) s += (xf[i * d + k]! - xf[j * d + k]!) ** 2
      dist[i * n + j] = dist[j * n + i] = Math.sqrt(s)
    }
  }
  let best: (Factor & { lengthscale: number, noise: number }) | undefined
  const kernel = new Float64Array(n * n)
  for (const lengthscale of opts.lengthscales ?? DEFAULT_LENGTHSCALES) {
    for (let i = 0; i < n * n; i++) kernel[i] = matern52(dist[i]! / lengthscale)
    for (const noise of opts.noises ?? DEFAULT_NOISES) {
      const f = factor(kernel, n, noise, z)
      if (f !== undefined && (best === undefined || f.logMl > best.logMl)) best = { ...f, lengthscale, noise }
    }
  }
  if (best === undefined) throw new Error('no kernel setting gave a positive-definite covariance')
  const { l, alpha, s2, lengthscale } = best

  const predict = (points: ReadonlyArray<ArrayLike<number>>): Prediction => {
    const m = points.length
    const pf = flatten(points, d)
    const mean = new Float64Array(m)
    const sd = new Float64Array(m)
    const k = new Float64Array(n)
    for (let p = 0; p < m; p++) {
      let mz = 0
      for (let i = 0; i < n; i++) {
        let s = 0
        for (let c = 0; c < d; c++) s += (pf[p * d + c]! - xf[i * d + c]!) ** 2
        k[i] = matern52(Math.sqrt(s) / lengthscale)
        mz += k[i]! * alpha[i]!
      }
      // Posterior variance 1 - kᵀC⁻¹k = 1 - |L⁻¹k|².
      forward(l, n, k)
      let explained = 0
      for (let i = 0; i < n; i++) explained += k[i]! * k[i]!
      mean[p] = mu + scale * mz
      sd[p] = scale * Math.sqrt(s2 * Math.max(1 - explained, 1e-12))
    }
    return { mean, sd }
  }
  return { lengthscale, noise: best.noise, logMarginalLikelihood: best.logMl, predict }
}
