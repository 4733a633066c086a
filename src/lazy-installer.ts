import type { ProjectToolchainOptions } from './toolchain/project-toolchain.js';
import type { ProvisionOptions, Toolchain } from './toolchain/provision.js';
import type { EnsureZigOptions, Zig } from './zig/install.js';

/**
 * The library's ways into provisioning, loaded on their first call. The installer brings undici, tar,
 * semver and execa, which made `import('xcc')` about five times Node's own start (`npm run
 * bench`, case import); a tool that only resolves targets, renders environments or inspects binaries
 * never needs them, and `projectToolchain` loads them only when the toolchain is not cached.
 */
export async function ensureZig(options: EnsureZigOptions = {}): Promise<Zig> {
  return (await import('./zig/install.js')).ensureZig(options);
}

export async function provision(options: ProvisionOptions): Promise<Toolchain> {
  return (await import('./toolchain/provision.js')).provision(options);
}

export async function projectToolchain(options: ProjectToolchainOptions): Promise<Toolchain> {
  return (await import('./toolchain/project-toolchain.js')).projectToolchain(options);
}
