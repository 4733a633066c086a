import { readFileSync } from 'node:fs';

/**
 * `toolchains/zig.json`: the zig xcc uses when none is asked for. Other fields may be added to the
 * file by other parts of xcc; this loader reads only what it knows and ignores the rest.
 */
export interface ZigPins {
  defaultVersion: string;
}

let cached: ZigPins | undefined;

export function zigPins(): ZigPins {
  if (cached === undefined) {
    const file = JSON.parse(readFileSync(new URL('../../toolchains/zig.json', import.meta.url), 'utf8')) as {
      defaultVersion?: unknown;
    };
    if (typeof file.defaultVersion !== 'string') {
      throw new Error('toolchains/zig.json has no string "defaultVersion"');
    }
    cached = { defaultVersion: file.defaultVersion };
  }
  return cached;
}

/** The pinned default zig version, e.g. `0.15.2`. */
export function defaultZigVersion(): string {
  return zigPins().defaultVersion;
}
