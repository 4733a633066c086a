/** The target resolver: Go target + libc + sub-architecture -> zig target. Pure and data-driven. */
export type { AbiFloat, Libc, Linkage, SubArchVariable, Tier } from './data.js';
export { type LibcListing, listTargets, type TargetListing } from './list.js';
export { debianMultiarch } from './multiarch.js';
export { needsMacosSdk, resolveTarget } from './resolve.js';
export { type SubArchRequest, subArchFields } from './sub-arch.js';
export type { ResolveOptions, Target, TargetRequest } from './types.js';
export { parseZigVersion } from './zig-version.js';
