/** xcc's library API. The CLI is a thin layer over these functions; nothing here prints or exits. */
export { UsageError, XccError } from './errors.js';
export { cacheLayout, xccHome, zigCacheDir } from './home.js';
export type { Expectation, ExpectationResult } from './inspect/expect.js';
export { checkExpectations, parseExpectations } from './inspect/expect.js';
export type { BinaryFacts, GoFacts, MachoFacts } from './inspect/facts.js';
export { inspectBytes } from './inspect/facts.js';
export type { GoBuildInfo, GoModule } from './inspect/go.js';
export { detectHost } from './inspect/host.js';
export type { LipoOptions, Universal, UniversalInput, UniversalSlice } from './inspect/lipo.js';
export { createUniversal, lipo } from './inspect/lipo.js';
export type { CodeSignature } from './inspect/macho.js';
export type { MachoImport } from './inspect/macho-imports.js';
export type { FileReport, ImageReport, InspectReport } from './inspect/report.js';
export { inspectFile, inspectFiles, renderJson, renderText } from './inspect/report.js';
export type { Host, Verdict, VerdictTopic } from './inspect/verdicts.js';
export { judge } from './inspect/verdicts.js';
// Provisioning loads its dependencies on first call (src/lazy-installer.ts); the rest loads nothing heavy.
export { ensureZig, projectToolchain, provision } from './lazy-installer.js';
export type { ReleaseEvent, ReleaseOptions, ReleaseResult, TargetResult } from './release/build.js';
export { buildRelease } from './release/build.js';
export type { ManifestArtifact, ReleaseManifest } from './release/manifest.js';
export type { MergeResult } from './release/merge.js';
export { mergeReleases } from './release/merge.js';
export type { PlannedTarget, PlanOptions, ReleasePlan } from './release/plan.js';
export { planRelease, RELEASE_FLAGS } from './release/plan.js';
export type { Shard } from './release/shard.js';
export { parseShard, shardItems } from './release/shard.js';
export type { Libc, Linkage, SubArchVariable, Tier } from './resolve/index.js';
export {
  type LibcListing,
  listTargets,
  parseZigVersion,
  type ResolveOptions,
  resolveTarget,
  type Target,
  type TargetListing,
  type TargetRequest,
} from './resolve/index.js';
export type { ProjectConfig } from './toolchain/project-config.js';
export { findProjectConfig } from './toolchain/project-config.js';
export type { ProjectToolchainOptions } from './toolchain/project-toolchain.js';
export type { ProvisionOptions, Toolchain } from './toolchain/provision.js';
export type { EnvFormat } from './toolchain/render.js';
export { ENV_FORMATS, renderEnv, renderUnset } from './toolchain/render.js';
export type { InstallEvent } from './zig/events.js';
export type { EnsureZigOptions, Zig } from './zig/install.js';
export { SOURCE_NAMES } from './zig/sources/names.js';
