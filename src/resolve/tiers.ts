import { type Libc, type TierEntry, targetsData } from './data.js';

/** The tier of a port with a libc (`libc` undefined: a port that offers none). */
export function findTier(port: string, libc: Libc | undefined): TierEntry {
  const entry = targetsData().tiers.find((tier) => tier.port === port && tier.libc === libc);
  if (entry === undefined)
    throw new Error(`toolchains/targets.json has no tier for ${port} ${libc ?? ''}`.trim());
  return entry;
}
