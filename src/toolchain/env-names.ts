import type { Target } from '../resolve/index.js';
import { goEnvQuirks, quirksTable } from './quirks.js';
import { PKG_CONFIG_VARIABLES } from './sysroot.js';

/**
 * The variable names a toolchain sets, for `xcc env --unset` and `--reset`. Apart from cached.ts because
 * it needs the quirks table (and semver's range parser): the warm `xcc env` path loads neither.
 */
const TOOL_VARIABLES = ['CC', 'CXX', 'AR', 'ZIG_GLOBAL_CACHE_DIR', 'ZIG_LOCAL_CACHE_DIR'];

/** The names `provision` sets for this target: what `xcc env --unset` undoes. */
export function toolchainEnvNames(target: Target): string[] {
  return [
    ...Object.keys(target.env),
    ...TOOL_VARIABLES,
    ...(target.macosSdk === null ? [] : ['SDKROOT']),
    ...(target.sysroot === null ? [] : PKG_CONFIG_VARIABLES),
    ...Object.keys(goEnvQuirks(target.zigVersion, target.zigTarget)),
  ];
}

/** Every name any target may set: what `xcc env --reset` undoes without knowing the target. */
export function allToolchainEnvNames(subArchVariables: readonly string[]): string[] {
  const quirkNames = quirksTable().flatMap((quirk) => Object.keys(quirk.env ?? {}));
  return [
    ...new Set([
      'CGO_ENABLED',
      'GOOS',
      'GOARCH',
      ...subArchVariables,
      ...TOOL_VARIABLES,
      'SDKROOT',
      ...PKG_CONFIG_VARIABLES,
      ...quirkNames,
    ]),
  ];
}
