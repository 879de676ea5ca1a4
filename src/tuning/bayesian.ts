/**
 * Bayesian optimisation: a Gaussian process models the objective over the unit cube, and the
 * next trial is the candidate with the largest Expected Improvement.
 *
 * - The first `initialRandom` trials are random draws (the same ones Random search would make for
 *   this seed): a GP fitted to one or two points only knows its prior.
 * - Internally always maximising: for Minimize the objective is negated.
 * - Failed trials (objective null or not finite) are modelled at the worst value seen: a failure
 *   is usually a region that diverges (too high a learning rate), and leaving it out would let EI
 *   propose its neighbour next.
 * - Parallel proposals use the constant liar (Ginsbourger et al. 2010): pending trials, and the
 *   ones already proposed in this call, are added to the model as if they had returned the mean
 *   observed value. The GP's uncertainty collapses there, so EI moves elsewhere and `count`
 *   proposals at once are spread out rather than `count` copies of one point.
 * - EI is maximised over candidates, not by gradient: a thousand uniform draws, perturbations
 *   of the best observations, then perturbations of the best candidates. Candidates are decoded
 *   and re-encoded, so integers and one-hot categoricals are scored as the values actually run,
 *   and any whose assignment was already used is dropped. A small discrete space is enumerated.
 */
import type { Assignment, Ranges } from './ranges.js'
import { assignmentKey } from './ranges.js'
import type { Rng } from './random.js'
import { createRng, gaussian, mixSeed } from './random.js'
import { gridSize, iterateGrid } from './grid.js'
import type { Dimension } from './unit-cube.js'
import { cubeLayout, decodeWith, encodeWith, fits, sampleWith } from './unit-cube.js'
import type { GaussianProcess } from './gaussian-process.js'
import { fitGp } from './gaussian-process.js'
import { expectedImprovement } from './expected-improvement.js'
import { drawUnused } from './random-search.js'
import type { SuggestInput } from './search-input.js'
import { usedKeys } from './search-input.js'

export interface BayesianOptions {
  /** Random trials before the model is used; default max(3, number of ranges + 1). */
  initialRandom?: number
  /** Uniform candidates per proposal; default 1000. */
  candidates?: number
  /** EI margin in standard deviations of the observed objective; default 0.01. */
  xi?: number
}

const ENUMERATE_LIMIT = 4096
// The GP costs O(n³) to fit and O(n²) per candidate: past this many observations the model keeps
// the best half and an even spread of the rest (see thin), so a 500-trial search stays fast.
const MAX_MODELLED = 150
const ELITES = 5
const LOCAL_SCALES = [0.15, 0.05, 0.015]
const LOCAL_PER_SCALE = 20
const CATEGORY_FLIP = 0.2

/** Distinct, unused candidates with their encodings. */
class Pool {
  readonly points: number[][] = []
  readonly assignments: Assignment[] = []
  private readonly seen: Set<string>
  constructor (private readonly layout: Dimension[], used: Set<string>) { this.seen = new Set(used) }
  add (assignment: Assignment): void {
    const key = assignmentKey(assignment)
    if (this.seen.has(key)) return
    this.seen.add(key)
    this.assignments.push(assignment)
    this.points.push(encodeWith(this.layout, assignment))
  }
}

/** A neighbour of point: gaussian steps on numeric coordinates, now and then another category. */
function perturb (layout: Dimension[], point: number[], scale: number, rng: Rng): Assignment {
  const next = point.slice()
  for (const { range, offset, width } of layout) {
    if (range.type !== 'categorical') {
      next[offset] = next[offset]! + scale * gaussian(rng)
    } else if (rng() < CATEGORY_FLIP) {
      const pick = Math.floor(rng() * width)
      for (let i = 0; i < width; i++) next[offset + i] = i === pick ? 1 : 0
    }
  }
  return decodeWith(layout, next)
}

interface Model { x: number[][], y: number[], best: number, xi: number }

interface Ranked { index: number, ei: number, ucb: number }

/** Candidates from `from` on, best first by EI. */
function rank (gp: GaussianProcess, model: Model, pool: Pool, from: number): Ranked[] {
  const { mean, sd } = gp.predict(pool.points.slice(from))
  return Array.from(mean, (m, i) => ({
    index: from + i,
    ei: expectedImprovement(m, sd[i]!, model.best, model.xi),
    // Tie-break when EI underflows to 0 everywhere: the most optimistic candidate.
    ucb: m + 2 * sd[i]!
  })).sort((a, b) => b.ei - a.ei || b.ucb - a.ucb)
}

function propose (ranges: Ranges, layout: Dimension[], model: Model, elites: number[][], used: Set<string>, rng: Rng, candidates: number): Assignment | undefined {
  const pool = new Pool(layout, used)
  const discrete = layout.every((d) => d.range.type !== 'continuous') && gridSize(ranges) <= ENUMERATE_LIMIT
  if (discrete) {
    for (const a of iterateGrid(ranges)) pool.add(a)
  } else {
    for (let i = 0; i < candidates; i++) pool.add(sampleWith(layout, rng))
    for (const e of elites) {
      for (const scale of LOCAL_SCALES) for (let i = 0; i < LOCAL_PER_SCALE; i++) pool.add(perturb(layout, e, scale, rng))
    }
  }
  if (pool.points.length === 0) return undefined
  const gp = fitGp(model.x, model.y)
  const ranked = rank(gp, model, pool, 0)
  if (discrete) return pool.assignments[ranked[0]!.index]
  // Second pass: polish around the best candidates, where EI's peak most likely is.
  const from = pool.points.length
  for (const { index } of ranked.slice(0, ELITES)) {
    for (const scale of LOCAL_SCALES.slice(1)) {
      for (let i = 0; i < LOCAL_PER_SCALE; i++) pool.add(perturb(layout, pool.points[index]!, scale, rng))
    }
  }
  const refined = pool.points.length > from ? rank(gp, model, pool, from) : []
  const top = refined[0] !== undefined && refined[0].ei > ranked[0]!.ei ? refined[0] : ranked[0]!
  return pool.assignments[top.index]
}

/** Indices of the observations the model keeps: all, or the best half and every k-th of the rest. */
function thin (y: number[]): number[] {
  const order = y.map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v || a.i - b.i).map(({ i }) => i)
  if (order.length <= MAX_MODELLED) return order
  const top = MAX_MODELLED >> 1
  const rest = order.slice(top)
  const step = rest.length / (MAX_MODELLED - top)
  const spread = Array.from({ length: MAX_MODELLED - top }, (_, k) => rest[Math.floor(k * step)]!)
  return [...order.slice(0, top), ...spread]
}

export function suggestBayesian (input: SuggestInput, opts: BayesianOptions = {}): Assignment[] {
  const { ranges } = input
  const layout = cubeLayout(ranges)
  const initial = opts.initialRandom ?? Math.max(3, layout.length + 1)
  const sign = input.direction === 'Maximize' ? 1 : -1
  const used = usedKeys(input)

  const points: number[][] = []
  const raw: Array<number | null> = []
  for (const o of input.observations) {
    if (!fits(ranges, o.assignment)) continue // from an older version of the ranges
    points.push(encodeWith(layout, o.assignment))
    raw.push(o.objective !== null && Number.isFinite(o.objective) ? sign * o.objective : null)
  }
  const finite = raw.filter((v): v is number => v !== null)
  const worst = Math.min(...finite)
  const all = raw.map((v) => v ?? worst)
  const kept = thin(all)
  const x = kept.map((i) => points[i]!)
  const y = kept.map((i) => all[i]!)
  const best = Math.max(...finite)
  const lie = finite.reduce((s, v) => s + v, 0) / finite.length
  const spread = Math.sqrt(finite.reduce((s, v) => s + (v - lie) ** 2, 0) / finite.length) || 1
  const model: Model = { x, y, best, xi: (opts.xi ?? 0.01) * spread }
  // The best observations seed the local candidates (thin puts them first).
  const elites = x.slice(0, ELITES)
  for (const p of input.pending) {
    if (!fits(ranges, p)) continue
    x.push(encodeWith(layout, p))
    y.push(lie)
  }

  const out: Assignment[] = []
  for (let i = 0; i < input.count; i++) {
    const index = input.trialIndex + i
    const rng = createRng(mixSeed(input.seed, index))
    const a = index < initial || finite.length < 2
      ? drawUnused(ranges, used, rng)
      // A large discrete space can run out of fresh candidates before it runs out of points.
      : propose(ranges, layout, model, elites, used, rng, opts.candidates ?? 1000) ?? drawUnused(ranges, used, rng)
    if (a === undefined) break
    used.add(assignmentKey(a))
    out.push(a)
    x.push(encodeWith(layout, a))
    y.push(lie)
  }
  return out
}
