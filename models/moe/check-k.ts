// The one check of 1 ≤ K ≤ N, with the one wording every caller shows. Plain numbers, no tfjs: the lesson-1
// widget runs it on the page's main thread and the engine in its worker.

/** Throws a sentence a reader can act on unless N ≥ 1 and K is a whole number with 1 ≤ K ≤ N. */
export function checkK(k: number, numExperts: number): void {
  if (!Number.isInteger(numExperts) || numExperts < 1) {
    throw new RangeError(`The number of experts must be a whole number of at least 1; got ${numExperts}.`);
  }
  if (!Number.isInteger(k) || k < 1 || k > numExperts) {
    throw new RangeError(`K must be a whole number between 1 and the number of experts (${numExperts}); got ${k}.`);
  }
}
