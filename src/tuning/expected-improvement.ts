/** Expected Improvement, the acquisition function of the Bayesian search (Jones et al. 1998). */

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)

/** Complementary error function with relative error < 1.2e-7 everywhere (Numerical Recipes' erfcc). */
function erfc (x: number): number {
  const z = Math.abs(x)
  const t = 1 / (1 + 0.5 * z)
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
  return x >= 0 ? r : 2 - r
}

export const normalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2)

export const normalPdf = (z: number): number => INV_SQRT_2PI * Math.exp(-0.5 * z * z)

/**
 * E[max(0, f - best - xi)] for f ~ N(mean, sd²), maximising. xi > 0 asks for a margin of
 * improvement, which keeps the search from polishing the incumbent by ever smaller steps.
 */
export function expectedImprovement (mean: number, sd: number, best: number, xi: number): number {
  const gain = mean - best - xi
  if (!(sd > 0)) return Math.max(0, gain)
  const z = gain / sd
  return Math.max(0, gain * normalCdf(z) + sd * normalPdf(z))
}
