import { XccError } from '../errors.js';
import type { Quirk } from './quirks.js';
import { shQuote } from './render.js';

/**
 * The wrapper scripts Go runs as CC, CXX and AR: tiny programs that `exec` zig with the target flags
 * baked in. Go calls CC many times per package (flag probes, compiles, the link), so the common path is one
 * `exec` with no loop and no subshell; only targets with a drop/rewrite quirk pay for an argument loop.
 * CC must be one word (the wrapper path): Go's linker runs only the first word of CC for its flag probes
 * (golang/go#81163), so `CC="zig cc -target ..."` silently changes which flags reach zig.
 */
export interface WrapperSpec {
  /** What the wrapper is, for its header comment. */
  header: string;
  zig: string;
  /** `['cc']`, `['c++']`, `['ar']`... */
  subcommand: string[];
  /** Baked-in arguments after the subcommand: `-target T -mcpu=C`. */
  fixed: string[];
  quirks: Quirk[];
  /** The wrapper directory (`{dir}` in answers). */
  dir: string;
  /** The GNU cross-tool prefix of the wrapper files, `aarch64-linux-musl` (`{prefix}` in answers). */
  prefix: string;
  /** Defaults for ZIG_GLOBAL_CACHE_DIR and ZIG_LOCAL_CACHE_DIR (a value set by the caller wins). */
  zigCache: string;
  /** Variables the tool always needs (SDKROOT for macOS targets). */
  env?: Record<string, string>;
  /**
   * For compilers: the directory, relative to zig's cache, that a successful link makes (first-link.ts:
   * the first build's notice). Letters, digits, `.`, `_`, `+`, `-` and `/` only.
   */
  firstLinkMark?: string;
}

/** A word for sh: bare when it has no special characters, else single-quoted. */
export function shWord(text: string): string {
  return /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(text) ? text : shQuote(text);
}

/** Text for a comment line: a line break would end the comment and start a command. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** A case pattern: the literal text quoted, a trailing `*` left as a glob. */
function casePattern(arg: string): string {
  return arg.endsWith('*') ? `${shWord(arg.slice(0, -1))}*` : shWord(arg);
}

export function renderShWrapper(spec: WrapperSpec): string {
  const lines = [
    '#!/bin/sh',
    `# ${oneLine(spec.header)}`,
    '# Written by xcc; rewritten when its inputs change, so do not edit.',
  ];
  // zig writes its local cache into the working directory otherwise, and Go compiles in package directories,
  // some read-only (GOROOT): golang/go#43078, ziglang/zig#5341. A value the caller set wins. Not
  // `: "${NAME:=word}"`: inside those double quotes the word is expanded as double-quoted text, where
  // single quotes are literal and `$(...)` runs, so no sh word can be written there; a plain assignment
  // takes one.
  for (const name of ['ZIG_GLOBAL_CACHE_DIR', 'ZIG_LOCAL_CACHE_DIR'])
    lines.push(`[ -n "\${${name}-}" ] || ${name}=${shWord(spec.zigCache)}`);
  lines.push('export ZIG_GLOBAL_CACHE_DIR ZIG_LOCAL_CACHE_DIR');
  for (const [name, value] of Object.entries(spec.env ?? {}))
    lines.push(`${name}=${shWord(value)}; export ${name}`);

  const answers = spec.quirks.filter((quirk) => quirk.action === 'answer' || quirk.action === 'scratch');
  if (answers.length > 0) {
    // One `case` over the joined argument list: no loop on the common path.
    lines.push('case " $* " in');
    for (const quirk of answers) {
      const patterns = (quirk.args ?? []).map((arg) => `*" "${casePattern(arg)}" "*`).join('|');
      if (quirk.action === 'scratch') {
        lines.push(
          `  ${patterns}) mkdir -p "$ZIG_LOCAL_CACHE_DIR/tmp" && cd "$ZIG_LOCAL_CACHE_DIR/tmp" || exit 1 ;; # ${quirk.id}`,
        );
        continue;
      }
      const text = (quirk.answer ?? '').replaceAll('{dir}', spec.dir).replaceAll('{prefix}', spec.prefix);
      lines.push(`  ${patterns}) printf '%s\\n' ${shWord(text)}; exit 0 ;; # ${quirk.id}`);
    }
    lines.push('esac');
  }
  const filters = spec.quirks.filter((quirk) => quirk.action === 'drop' || quirk.action === 'rewrite');
  if (filters.length > 0) {
    // Rebuild "$@" in place: each turn shifts the first argument off and appends it, its replacement, or nothing.
    lines.push('for arg do', '  shift', '  case $arg in');
    for (const quirk of filters) {
      const replacement =
        quirk.action === 'rewrite' ? `set -- "$@" ${(quirk.to ?? []).map(shWord).join(' ')} ` : '';
      lines.push(`    ${(quirk.args ?? []).map(casePattern).join('|')}) ${replacement};; # ${quirk.id}`);
    }
    lines.push('    *) set -- "$@" "$arg" ;;', '  esac', 'done');
  }
  const linkAdds = spec.quirks.filter((quirk) => quirk.action === 'add' && quirk.when === 'link');
  if (linkAdds.length > 0) {
    // A command with -c, -S or -E compiles or preprocesses; any other links.
    const args = linkAdds.flatMap((quirk) => quirk.args ?? []).map(shWord);
    const ids = linkAdds.map((quirk) => quirk.id).join(', ');
    lines.push('case " $* " in', '  *" -c "*|*" -S "*|*" -E "*) ;;');
    lines.push(`  *) set -- ${args.join(' ')} "$@" ;; # ${ids}`, 'esac');
  }
  const command = `${[spec.zig, ...spec.subcommand, ...spec.fixed, ...alwaysAdded(spec.quirks)].map(shWord).join(' ')} "$@"`;
  const hints = spec.quirks.filter((quirk) => quirk.action === 'hint');
  const mark = spec.firstLinkMark === undefined ? undefined : markPath(spec.firstLinkMark);
  if (hints.length === 0 && mark === undefined) lines.push(`exec ${command}`);
  else lines.push(...childLines(command, hints, mark));
  return `${lines.join('\n')}\n`;
}

/** `"$ZIG_GLOBAL_CACHE_DIR/<mark>"`, checked to need no quoting of its own. */
function markPath(mark: string): string {
  if (!/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*(\/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$/.test(mark)) {
    throw new XccError(`the first-link mark ${JSON.stringify(mark)} is not a plain relative path`);
  }
  return `"$ZIG_GLOBAL_CACHE_DIR/${mark}"`;
}

/**
 * zig as a child rather than `exec`ed, so that something can follow it: a success costs the wrapper one
 * fork and nothing else (zig's output is not touched).
 * - The first-link mark: once it exists, the wrapper `exec`s as usual (unless hints need the child). A
 *   successful command with `-o` and none of `-c`, `-S`, `-E` linked, so zig's cache now holds the
 *   target's C library: the mark is made (`mkdir -p`, errors ignored: a read-only cache just keeps the
 *   notice; `[ -d ]`, a builtin, first, as wrappers with hints reach this line after every link).
 * - Hints: only after a compile error (zig exits 1) is the command run again, preprocessing only (`-E -o
 *   /dev/null`: the last `-o` wins, and a missing header is a preprocessor error), with its stderr
 *   captured to read the header clang could not find; zig's own error has already been printed. The
 *   variables are prefixed: a name the caller exported would reach zig.
 */
function childLines(command: string, hints: Quirk[], mark: string | undefined): string[] {
  const lines: string[] = [];
  if (mark !== undefined && hints.length === 0) lines.push(`[ -d ${mark} ] && exec ${command}`);
  lines.push(command, 'xcc_status=$?');
  if (mark !== undefined) {
    lines.push(
      'if [ "$xcc_status" = 0 ]; then',
      '  case " $* " in',
      '    *" -c "*|*" -S "*|*" -E "*) ;;',
      `    *" -o "*) [ -d ${mark} ] || mkdir -p ${mark} 2>/dev/null ;;`,
      '  esac',
      '  exit 0',
      'fi',
    );
  }
  if (hints.length === 0) return [...lines, 'exit "$xcc_status"'];
  return [...lines, ...hintLines(command, hints)];
}

/** After zig failed: the hint of the header it could not find, if a quirk has one. */
function hintLines(command: string, hints: Quirk[]): string[] {
  const lines = [
    '[ "$xcc_status" = 1 ] || exit "$xcc_status"',
    `xcc_header=$(${command} -E -o /dev/null 2>&1 >/dev/null)`,
    `case $xcc_header in *"fatal error: '"*"' file not found"*) ;; *) exit 1 ;; esac`,
    `xcc_header=\${xcc_header#*"fatal error: '"}`,
    `xcc_header=\${xcc_header%%"' file not found"*}`,
    'case $xcc_header in',
  ];
  for (const quirk of hints) {
    const patterns = (quirk.args ?? []).map(headerGlob).join('|');
    const words = (quirk.answer ?? '').split('{header}').map(shWord).join(' "$xcc_header" ');
    const format = '%s'.repeat((quirk.answer ?? '').split('{header}').length * 2 - 1);
    lines.push(`  ${patterns}) printf '${format}\\n' ${words} >&2 ;; # ${quirk.id}`);
  }
  lines.push('esac', 'exit 1');
  return lines;
}

/** A header-name glob of a `hint` quirk, as written (its brackets and stars are the point): only these characters. */
function headerGlob(glob: string): string {
  if (!/^[A-Za-z0-9_.+/*[\]-]+$/.test(glob)) {
    throw new XccError(`the hint pattern ${JSON.stringify(glob)} holds a character a case pattern may not`);
  }
  return glob;
}

/** The arguments of `add` quirks that apply to every command. */
function alwaysAdded(quirks: Quirk[]): string[] {
  return quirks
    .filter((quirk) => quirk.action === 'add' && quirk.when === undefined)
    .flatMap((quirk) => quirk.args ?? []);
}

/**
 * The same for Windows hosts, as a `.cmd` file. cmd.exe has no safe way to rebuild or scan an argument
 * list (its `for` splits on `=`, `,` and `;`), so only `add` quirks for every command apply there; the
 * others are named in the header as not applied.
 */
export function renderCmdWrapper(spec: WrapperSpec): string {
  const adds = alwaysAdded(spec.quirks);
  const skipped = spec.quirks
    .filter((quirk) => quirk.action !== 'add' || quirk.when !== undefined)
    .map((quirk) => quirk.id);
  const lines = [
    '@echo off',
    `rem ${oneLine(spec.header)}`,
    'rem Written by xcc; rewritten when its inputs change, so do not edit.',
    ...(skipped.length > 0 ? [`rem Not applied on Windows hosts: ${skipped.join(', ')}`] : []),
    // Delayed expansion would eat "!" in paths and arguments.
    'setlocal DisableDelayedExpansion',
    `if not defined ZIG_GLOBAL_CACHE_DIR set "ZIG_GLOBAL_CACHE_DIR=${cmdText(spec.zigCache)}"`,
    `if not defined ZIG_LOCAL_CACHE_DIR set "ZIG_LOCAL_CACHE_DIR=${cmdText(spec.zigCache)}"`,
    ...Object.entries(spec.env ?? {}).map(([name, value]) => `set "${name}=${cmdText(value)}"`),
    `${[spec.zig, ...spec.subcommand, ...spec.fixed, ...adds].map(cmdWord).join(' ')} %*`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** Inside a batch file `%` starts a variable: it is written twice. Quotes cannot be escaped at all. */
function cmdText(text: string): string {
  if (text.includes('"') || /[\r\n]/.test(text)) {
    throw new XccError(
      `cannot write ${JSON.stringify(text)} into a .cmd wrapper (quote or newline); use a path without them (XCC_HOME)`,
    );
  }
  return text.replaceAll('%', '%%');
}

function cmdWord(text: string): string {
  return /^[A-Za-z0-9_\-+=.,/:\\]+$/.test(text) ? text : `"${cmdText(text)}"`;
}

/**
 * CC as Go reads it (cmd/internal/quoted): fields split on spaces, a field may be wrapped in '...' or "..."
 * with no escapes inside. A path with spaces is quoted with whichever quote it does not contain; one with
 * spaces and both quotes cannot be written, so it is refused with the fix.
 */
export function goQuote(word: string): string {
  if (!/[\s'"]/.test(word)) return word;
  if (!word.includes("'")) return `'${word}'`;
  if (!word.includes('"')) return `"${word}"`;
  throw new XccError(
    `Go cannot take ${word} as CC: it holds spaces and both kinds of quotes; set XCC_HOME to a directory without quotes`,
  );
}
