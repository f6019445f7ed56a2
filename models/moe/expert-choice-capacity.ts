// Expert choice's capacity as plain numbers, no tfjs: the lesson's quiz measures it on the page's main thread.

/** c = ⌈groupTokens · capacityFactor / numExperts⌉, at most the group's tokens (Zhou et al. 2022, §3.1). */
export function expertChoiceCapacity(groupTokens: number, capacityFactor: number, numExperts: number): number {
  if (!(capacityFactor > 0)) {
    throw new RangeError(`The expert-choice capacity factor must be above 0; got ${capacityFactor}.`);
  }
  return Math.min(groupTokens, Math.ceil((groupTokens * capacityFactor) / numExperts));
}
