import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Env } from '../home.js';
import type { Target } from '../resolve/index.js';
import { versionLessThan } from '../resolve/version-order.js';
import { directoryQuirk } from './directory-quirks.js';
import type { Quirk } from './quirks.js';

/**
 * A macOS SDK for darwin targets: where it comes from (`--macos-sdk`, `SDKROOT`, `xcrun` on a Mac), what
 * makes a directory one that zig can use, and the arguments that make zig search it. zig 0.15 ignores
 * `SDKROOT` for cross targets and `--sysroot` only prefixes `-L` paths (a user's `-L/abs/dir` then breaks),
 * so the wrappers name the SDK's directories themselves (test/toolchain/macos-sdk.test.ts).
 */

/** What an SDK holds, relative to its root. */
const SDK_HEADERS = 'usr/include';
const SDK_LIBRARIES = 'usr/lib';
const SDK_FRAMEWORKS = 'System/Library/Frameworks';

/** How to look for the SDK of a Mac host: injected by tests, which run on Linux. */
export interface MacosHost {
  platform: NodeJS.Platform;
  /** `xcrun --show-sdk-path`, undefined when it fails. */
  xcrunSdkPath: () => string | undefined;
}

const thisHost: MacosHost = { platform: process.platform, xcrunSdkPath };

/**
 * The SDK a darwin target gets when none was passed: `SDKROOT`, else, on a Mac, the one Xcode or the
 * Command Line Tools select. Undefined elsewhere: the target then links against stubs (darwin-sdkless.ts).
 */
export function defaultMacosSdk(env: Env, host: MacosHost = thisHost): string | undefined {
  if (env.SDKROOT !== undefined && env.SDKROOT !== '') return env.SDKROOT;
  return host.platform === 'darwin' ? host.xcrunSdkPath() : undefined;
}

/**
 * `xcrun --sdk macosx --show-sdk-path`; a missing or failing xcrun (no Command Line Tools) is no SDK.
 * node:child_process is loaded here, on a Mac, not by every `xcc env` that imports this module.
 */
export function xcrunSdkPath(env: Env = process.env): string | undefined {
  const ran = process
    .getBuiltinModule('node:child_process')
    .spawnSync('xcrun', ['--sdk', 'macosx', '--show-sdk-path'], {
      encoding: 'utf8',
      env: { ...env },
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  if (ran.error || ran.status !== 0) return undefined;
  const sdk = ran.stdout.replace(/\r?\n$/, '');
  return path.isAbsolute(sdk) ? sdk : undefined;
}

/** The option's words, in the caller's spelling (the CLI's `--macos-sdk`, the library's `macosSdk`). */
function giveSdk(spelling: string | undefined): string {
  return spelling === undefined
    ? 'set macosSdk to /path/to/MacOSX.sdk'
    : `pass ${spelling} /path/to/MacOSX.sdk`;
}

/** A path for a one-line message: as typed, or JSON-quoted when it holds a line break. */
function shown(sdk: string): string {
  return /[\r\n]/.test(sdk) ? JSON.stringify(sdk) : sdk;
}

function refuse(sdk: string, problem: string, fix?: string): UsageError {
  return new UsageError(
    (spelling) =>
      `the macOS SDK ${shown(sdk)} ${problem}; ${fix ?? `${giveSdk(spelling)} (a directory holding SDKSettings.json) or set SDKROOT to one`}`,
    { option: 'macosSdk' },
  );
}

/**
 * A macOS SDK given for a darwin target must be one: else input the user must fix (exit 2), checked before
 * the Zig is downloaded. An SDK is a directory with SDKSettings.json (every Xcode SDK since macOS 10.14;
 * SDKSettings.plist before that). clang reads SDKSettings.json whenever SDKROOT is set, and one without a
 * `Version` and a `MaximumDeploymentTarget` makes it warn (-Wdarwin-sdk-settings), an error under the
 * -Werror of runtime/cgo: every cgo build would fail, so such a file is refused here, and so is a
 * directory name clang warns about (test/toolchain/macos-sdk.test.ts shows both warnings with real zig).
 */
export async function checkMacosSdk(sdk: string): Promise<void> {
  const unreadable = depFileTrouble(sdk);
  if (unreadable !== undefined) {
    throw refuse(
      sdk,
      `has ${unreadable} in its path, where zig cannot read headers`,
      'move or link it to a path without one',
    );
  }
  const found = await stat(sdk).catch(() => undefined);
  if (found === undefined) throw refuse(sdk, 'does not exist');
  if (!found.isDirectory()) throw refuse(sdk, 'is not a directory');
  // clang takes the platform from the innermost `*.sdk` directory's name and warns unless it starts with
  // MacOSX (-Wincompatible-sysroot): an error under -Werror again.
  const named = sdk.split(path.sep === '\\' ? /[\\/]/ : '/').findLast((part) => part.endsWith('.sdk'));
  if (named !== undefined && !named.startsWith('MacOSX')) {
    throw refuse(
      sdk,
      `is in a directory named ${named}, which clang takes for another platform's SDK (-Wincompatible-sysroot, an error under runtime/cgo's -Werror)`,
      'if it is a macOS SDK, name that directory MacOSX<version>.sdk, as Xcode does',
    );
  }
  const json = await readFile(path.join(sdk, 'SDKSettings.json'), 'utf8').catch(() => undefined);
  if (json === undefined) {
    const plist = await stat(path.join(sdk, 'SDKSettings.plist')).catch(() => undefined);
    if (plist?.isFile()) return;
    throw refuse(sdk, 'is not one: it has no SDKSettings.json');
  }
  const settings = parseJson(json);
  const text = (name: string) => (typeof settings?.[name] === 'string' ? (settings[name] as string) : '');
  if (!/^\d+(\.\d+)*$/.test(text('Version')) || !/^\d+(\.\d+)*$/.test(text('MaximumDeploymentTarget'))) {
    throw refuse(
      sdk,
      'has an SDKSettings.json without a Version and a MaximumDeploymentTarget, which clang needs (it would fail every cgo compile with -Wdarwin-sdk-settings)',
      'copy the SDK again from Xcode or the Command Line Tools, or point to another one',
    );
  }
}

/**
 * zig records each header's path in its cache's dependency files, and cannot read one back that holds a
 * line break, a backslash (on a host where it is no separator), or a double quote beside a space: every
 * compile that includes an SDK header would then fail with a bare "FileNotFound" (tried with 0.15.2).
 */
function depFileTrouble(dir: string): string | undefined {
  if (/[\r\n]/.test(dir)) return 'a line break';
  if (path.sep === '/' && dir.includes('\\')) return 'a backslash';
  if (dir.includes('"') && /\s/.test(dir)) return 'a double quote and a space';
  return undefined;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The text-based stubs whose format decides whether zig can link against an SDK: libSystem's (Apple
 * changes every stub of an SDK together) and CoreFoundation's, which runtime/cgo links on darwin/arm64.
 */
const PROBED_STUBS = [
  `${SDK_LIBRARIES}/libSystem.tbd`,
  `${SDK_FRAMEWORKS}/CoreFoundation.framework/CoreFoundation.tbd`,
];

/**
 * The first Zig that may read what older ones cannot in an SDK (each failure shown in
 * test/toolchain/macos-sdk.test.ts with Zig 0.15.2, and tried by hand with 0.16.0):
 * - text-based stubs v5 (JSON): 0.15.2 and 0.16.0 fail with "failed to parse TBD file: UnexpectedToken";
 *   0.17 was not tried, so it is not refused;
 * - stubs whose targets list `arm64e-macos` but not `arm64-macos` (the macOS 26 SDKs since 26.4, for every
 *   library): 0.15.2 reads no symbol from them for an arm64 link ("undefined symbol"); 0.16.0 links.
 */
const SDK_READ_SINCE = {
  jsonStubs: '0.17.0',
  arm64eOnly: '0.16.0',
};

/**
 * Refuses (exit 2, one line) an SDK too new for the Zig in use, before a build fails with hundreds of
 * "undefined symbol" lines. Reads only the few stubs above; an SDK without them is not judged.
 */
export async function checkSdkForZig(sdk: string, target: Target, zigVersion: string): Promise<void> {
  for (const relative of PROBED_STUBS) {
    const text = await readFile(path.join(sdk, relative), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const tooNew = (problem: string, fix: string) =>
      new UsageError(
        (spelling) =>
          `the macOS SDK ${sdk} is too new for Zig ${zigVersion}: ${relative} ${problem}; use an older SDK (${giveSdk(spelling)}) or ${fix}`,
        { option: 'macosSdk' },
      );
    if (text.trimStart().startsWith('{') && versionLessThan(zigVersion, SDK_READ_SINCE.jsonStubs)) {
      throw tooNew('is a text-based stub v5 (JSON), which zig cannot read', 'a Zig that reads them');
    }
    if (target.goarch === 'arm64' && versionLessThan(zigVersion, SDK_READ_SINCE.arm64eOnly)) {
      const targets = stubTargets(text);
      if (targets.includes('arm64e-macos') && !targets.includes('arm64-macos')) {
        throw tooNew(
          'lists arm64e but not arm64, and zig links darwin/arm64 against no symbol of it',
          `Zig ${SDK_READ_SINCE.arm64eOnly} or newer (--zig ${SDK_READ_SINCE.arm64eOnly})`,
        );
      }
    }
  }
}

/** The `targets:` list of a text-based stub v3/v4 (YAML), which may span lines: `[ a, b,\n  c ]`. */
export function stubTargets(tbd: string): string[] {
  const list = /^targets:\s*\[([^\]]*)\]/m.exec(tbd)?.[1];
  if (list !== undefined) return list.split(',').map((entry) => entry.trim().replace(/^'|'$/g, ''));
  // v3: `archs: [ x86_64, arm64e ]` with `platform: macos`.
  const archs = /^archs:\s*\[([^\]]*)\]/m.exec(tbd)?.[1];
  return archs === undefined ? [] : archs.split(',').map((arch) => `${arch.trim()}-macos`);
}

/**
 * What the wrappers add with an SDK. Compiles search its headers after zig's own (`-idirafter`: zig links
 * its own libSystem.tbd whatever `-L` says, so its libc headers are the ones that match; the SDK adds the
 * rest: frameworks, libresolv, zlib...), and its frameworks as system frameworks (`-iframework`: their
 * warnings do not fail a -Werror build, as on a Mac). Links search its frameworks (`-F`) and libraries
 * (`-L`), links only: `-iframework` does not reach zig's linker, and `-L` is an unused argument on a compile.
 */
export function sdkQuirks(sdk: string): Quirk[] {
  const quirk = directoryQuirk('test/toolchain/macos-sdk.test.ts');
  return [
    quirk(
      'darwin-sdk-headers',
      ['-idirafter', inSdk(sdk, SDK_HEADERS), '-iframework', inSdk(sdk, SDK_FRAMEWORKS)],
      "searches the macOS SDK's headers after zig's libc headers, and its frameworks' headers",
    ),
    quirk(
      'darwin-sdk-libraries',
      [`-F${inSdk(sdk, SDK_FRAMEWORKS)}`, `-L${inSdk(sdk, SDK_LIBRARIES)}`],
      "links against the macOS SDK's frameworks and libraries",
      'link',
    ),
  ];
}

/** A directory of the SDK, the path as given (not normalised: `..` after a link means what the user meant). */
function inSdk(sdk: string, relative: string): string {
  return `${sdk.replace(/\/+$/, '')}/${relative}`;
}
