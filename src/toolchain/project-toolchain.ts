import { xccHome } from '../home.js';
import { zigHostKey } from '../zig/host.js';
import { cachedToolchain } from './cached.js';
import type { ProvisionOptions, Toolchain } from './provision.js';
import { chooseZig } from './zig-choice.js';

export interface ProjectToolchainOptions extends Omit<ProvisionOptions, 'zigInstall' | 'locked'> {
  /**
   * Where the project is looked for (`xcc.json`, or `"xcc"` in package.json, in this directory or above;
   * default: the current directory). Its lock file pins the Zig's version and bytes, else its `zig` spec
   * chooses the Zig. `spec` overrides both, as `--zig` does.
   */
  cwd?: string;
}

/**
 * A target's toolchain as `xcc env` and `xcc exec` get it: the Zig the project chooses (zig-choice.ts),
 * the toolchain a previous provision wrote when it can be served as it is (cached.ts: no installer is
 * loaded, the shell-startup path), else provisioned now, which installs the Zig if needed.
 */
export async function projectToolchain(options: ProjectToolchainOptions): Promise<Toolchain> {
  const env = options.env ?? process.env;
  const host = zigHostKey(options.platform, options.arch);
  const choice = chooseZig({ spec: options.spec, cwd: options.cwd, host, env });
  // A named archive (`from`) is checked even when its version is installed, a full check of the files
  // (`verifyFiles`) and another host's toolchain are the installer's to do.
  const warm =
    options.from === undefined &&
    options.verifyFiles !== true &&
    (options.platform ?? process.platform) === process.platform &&
    (options.arch ?? process.arch) === process.arch;
  const home = options.home ?? xccHome(env);
  const cached = warm ? await cachedToolchain({ request: options.target, choice, home, env }) : undefined;
  if (cached !== undefined) return cached;
  const { provision } = await import('./provision.js');
  return provision({ ...options, spec: choice.spec, locked: choice.locked });
}
