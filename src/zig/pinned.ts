import { readFileSync } from 'node:fs';

/**
 * `toolchains/zig.json`: the zig xcc uses when none is asked for. Other parts of xcc may add fields
 * to that file; this loader reads only what it knows and ignores the rest.
 */
export interface ZigPins {
  defaultVersion: string;
}

let cached: ZigPins | undefined;

export function zigPins(): ZigPins {
  cached ??= parseZigPins(
    JSON.parse(readFileSync(new URL('../../toolchains/zig.json', import.meta.url), 'utf8')),
  );
  return cached;
}

/** The pinned default zig version, e.g. `0.15.2`. */
export function defaultZigVersion(): string {
  return zigPins().defaultVersion;
}

export function parseZigPins(file: unknown): ZigPins {
  const { defaultVersion } = (file ?? {}) as { defaultVersion?: unknown };
  if (typeof defaultVersion !== 'string')
    throw new Error('toolchains/zig.json has no string "defaultVersion"');
  return { defaultVersion };
}
