import type { Quirk } from './quirks.js';

/**
 * The maker of the quirks a directory the user gives brings (a macOS SDK, a sysroot): flags that the
 * cc and c++ wrappers add for every zig, on every command or on links only, with the test that holds them.
 * Its own module, not quirks.ts: that one loads semver, which the warm path must not.
 */
export function directoryQuirk(
  evidence: string,
): (id: string, args: string[], reason: string, when?: 'link') => Quirk {
  return (id, args, reason, when) => ({
    id,
    zig: '*',
    tools: ['cc', 'c++'],
    action: 'add',
    ...(when === undefined ? {} : { when }),
    args,
    reason,
    evidence,
  });
}
