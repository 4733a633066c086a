/** xcc's library API. The CLI is a thin layer over these functions; nothing here prints or exits. */
export { UsageError, XccError } from './errors.js';
export { cacheLayout, xccHome } from './home.js';
export type { Libc, Linkage, SubArchVariable, Tier } from './target/index.js';
export {
  type LibcListing,
  listTargets,
  parseZigVersion,
  type ResolveOptions,
  resolveTarget,
  type Target,
  type TargetListing,
  type TargetRequest,
} from './target/index.js';
