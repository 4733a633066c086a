import { readFileSync } from 'node:fs';
import satisfies from 'semver/functions/satisfies.js';
import { packageFile } from '../package-files.js';

/**
 * `toolchains/quirks.json`: arguments that `zig cc` rejects or mishandles when Go drives it, and what
 * the wrappers do about each (data, because it changes with zig releases). Every entry names its reason,
 * the upstream issue where there is one, and the probe that proved it (docs/research/go126-zig0152.md).
 */
export type CompilerTool = 'cc' | 'c++';
/** `go` stands for the environment of `go build` rather than a wrapper. */
export type QuirkTool = CompilerTool | 'go';

export interface Quirk {
  id: string;
  /** semver range of zig versions the quirk applies to. */
  zig: string;
  /** Zig triple parts; a missing key matches anything. `abi` is compared without a glibc version. */
  target?: { arch?: string[]; os?: string[]; abi?: string[] };
  tools: QuirkTool[];
  /**
   * - `drop`: remove arguments matching `args` (a trailing `*` matches a prefix);
   * - `rewrite`: replace each argument matching `args` with `to`;
   * - `add`: put `args` after the target flags, before the caller's arguments (so the caller still wins);
   *   with `when: 'link'`, only on commands that link (none of `-c`, `-S`, `-E`);
   * - `answer`: when an argument matches `args`, print `answer` (`{dir}`: the wrapper directory, `{prefix}`: the tool prefix) and exit 0;
   * - `hint`: when zig fails because a header is missing whose name matches one of `args` (sh case
   *   globs, so a capitalised directory can be matched), print `answer` after zig's error (`{header}`: the header's name as clang quotes it);
   * - `scratch`: when an argument matches `args`, run zig from `tmp/` of its local cache, for commands
   *   that leave a file in the working directory (Go runs them in the user's source directory);
   * - `env` (tool `go`): set `env` for `go build`.
   */
  action: 'drop' | 'rewrite' | 'add' | 'answer' | 'hint' | 'scratch' | 'env';
  args?: string[];
  to?: string[];
  answer?: string;
  /** `link`: an `add` for link commands only, for linker arguments zig also reads as compile options. */
  when?: 'link';
  env?: Record<string, string>;
  reason: string;
  upstream?: string;
  evidence: string;
  tested?: string[];
}

let table: Quirk[] | undefined;

export function quirksTable(): Quirk[] {
  table ??= (
    JSON.parse(readFileSync(packageFile('toolchains/quirks.json'), 'utf8')) as {
      quirks: Quirk[];
    }
  ).quirks;
  return table;
}

interface TripleParts {
  arch: string;
  os: string;
  abi: string;
}

/** `arm-linux-gnueabihf.2.31` -> arch `arm`, os `linux`, abi `gnueabihf`. */
export function tripleParts(triple: string): TripleParts {
  const [arch = '', os = '', abi = 'none'] = triple.split('-');
  return { arch, os: os.split('.')[0] ?? os, abi: abi.split('.')[0] ?? abi };
}

/** The quirks that apply to `tool` for this zig version and target, in table order. */
export function quirksFor(
  zigVersion: string,
  zigTarget: string,
  tool: QuirkTool,
  quirks: Quirk[] = quirksTable(),
): Quirk[] {
  const parts = tripleParts(zigTarget);
  return quirks.filter((quirk) => {
    if (!quirk.tools.includes(tool)) return false;
    if (!satisfies(zigVersion, quirk.zig, { includePrerelease: true })) return false;
    const target = quirk.target ?? {};
    return (
      (!target.arch || target.arch.includes(parts.arch)) &&
      (!target.os || target.os.includes(parts.os)) &&
      (!target.abi || target.abi.includes(parts.abi))
    );
  });
}

/** The variables `go build` needs for this target beyond CC and friends (e.g. external linking for musl). */
export function goEnvQuirks(zigVersion: string, zigTarget: string, quirks?: Quirk[]): Record<string, string> {
  return Object.assign({}, ...quirksFor(zigVersion, zigTarget, 'go', quirks).map((quirk) => quirk.env ?? {}));
}
