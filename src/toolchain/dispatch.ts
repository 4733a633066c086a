import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_EXECUTABLE_MODE, CACHE_FILE_MODE, checkCachePath, ensureCacheDir } from '../cache-safety.js';
import { UsageError, XccError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { cacheLayout } from '../home.js';
import { targetsData } from '../resolve/data.js';
import { resolveTarget, type SubArchRequest, subArchFields, type Target } from '../resolve/index.js';
import { goQuote, shWord } from './wrappers.js';

/**
 * One CC (and one CXX) for every configured target: a sh script that reads the GOOS, GOARCH and
 * sub-architecture variable Go runs it with and `exec`s that target's own wrapper (provision.ts), so a
 * release tool that sets only GO* per build (GoReleaser), or a plain `GOOS=linux GOARCH=arm64 go build`
 * after `xcc setup`, gets the right toolchain without Node at compile time. cmd/go puts GOOS, GOARCH and
 * GOARCH's own sub-architecture variable into the environment of everything it runs, whether they came
 * from the environment, `go env -w` or Go's defaults (cmd/go/main.go: `cfg.CmdEnv`), so they are always
 * there when Go is the caller.
 *
 * The values are never evaluated: `case` compares them, as data, against the configured targets' own
 * spellings, and anything else is refused with one line. The host target, unless configured, falls
 * through to the C compiler Go used before (`go env CC` without this dispatcher), so host builds stay as
 * they were.
 */
export type DispatchTool = 'cc' | 'c++';

export interface DispatchEntry {
  /** The target's id, for messages: `linux-arm64-musl`. */
  id: string;
  goos: string;
  goarch: string;
  /** GOARCH's sub-architecture variable and every spelling of it that means this target ('' = unset). */
  subArch: { variable: string; spellings: string[] } | null;
  /** The target's wrappers (absolute paths): `cc` and `c++`. */
  tools: Record<DispatchTool, string>;
}

export interface HostCompilers {
  goos: string;
  goarch: string;
  /** `go env CC` and `go env CXX` as Go splits them into words (cmd/internal/quoted). */
  cc: string[];
  cxx: string[];
}

export interface DispatchSpec {
  tool: DispatchTool;
  entries: DispatchEntry[];
  host: HostCompilers;
  /** The command that adds a target, for the refusal: `xcc setup` or `xcc dispatch`. */
  command: string;
}

/** The sh script for one tool. */
export function renderDispatcher(spec: DispatchSpec): string {
  const { tool, entries, host } = spec;
  const ports = entries.map((entry) => `${entry.goos}/${entry.goarch}`);
  const lines = [
    '#!/bin/sh',
    `# ${tool} for ${ports.join(', ')} (xcc dispatch): picks the toolchain from GOOS, GOARCH and the`,
    '# sub-architecture variable Go sets; the host falls through to the C compiler Go used before.',
    '# Written by xcc; rewritten when its inputs change, so do not edit.',
    // Unset means the host, as for Go itself (a dispatcher run by hand, or by make).
    `xcc_goos=\${GOOS:-${shWord(host.goos)}}`,
    `xcc_goarch=\${GOARCH:-${shWord(host.goarch)}}`,
    'case $xcc_goos/$xcc_goarch in',
  ];
  for (const [port, group] of groupByPort(entries)) {
    lines.push(`  ${shWord(port)})`);
    const [first] = group;
    if (first?.subArch === null || first === undefined) {
      lines.push(`    exec ${shWord(first!.tools[tool])} "$@" ;;`);
      continue;
    }
    lines.push(`    case \${${first.subArch.variable}-} in`);
    for (const entry of group) {
      const patterns = entry.subArch!.spellings.map((spelling) =>
        spelling === '' ? "''" : shWord(spelling),
      );
      lines.push(`      ${patterns.join('|')}) exec ${shWord(entry.tools[tool])} "$@" ;;`);
    }
    lines.push('    esac ;;');
  }
  lines.push('esac');
  const hostCommand = tool === 'cc' ? host.cc : host.cxx;
  lines.push(
    `case $xcc_goos/$xcc_goarch in ${shWord(`${host.goos}/${host.goarch}`)}) exec ${hostCommand.map(shWord).join(' ')} "$@" ;; esac`,
  );
  const variable = subArchVariables();
  const ids = entries.map((entry) => entry.id).join(', ');
  // The values are printed as data (printf's arguments), never as its format.
  lines.push(
    `case $xcc_goarch in ${Object.entries(variable)
      .map(([goarch, name]) => `${shWord(goarch)}) xcc_sub=" ${name}=\${${name}-}" ;;`)
      .join(' ')} *) xcc_sub= ;; esac`,
    `printf 'xcc: no toolchain for %s/%s%s in this ${tool} (it has ${ids}); run ${spec.command} again with %s/%s among its targets\\n' "$xcc_goos" "$xcc_goarch" "$xcc_sub" "$xcc_goos" "$xcc_goarch" >&2`,
    'exit 1',
  );
  return `${lines.join('\n')}\n`;
}

function groupByPort(entries: DispatchEntry[]): Map<string, DispatchEntry[]> {
  const groups = new Map<string, DispatchEntry[]>();
  for (const entry of entries) {
    const port = `${entry.goos}/${entry.goarch}`;
    groups.set(port, [...(groups.get(port) ?? []), entry]);
  }
  return groups;
}

/** GOARCH -> its sub-architecture variable, from toolchains/targets.json. */
function subArchVariables(): Record<string, string> {
  const table = targetsData().subArch;
  const byArch: Record<string, string> = {};
  for (const [variable, data] of Object.entries(table))
    for (const goarch of data.goarch) byArch[goarch] = variable;
  return byArch;
}

/**
 * Every value of the target's sub-architecture variable that Go could hand the dispatcher and that means
 * this target: each spelling Go accepts (`7`, `7,hardfloat`; `v8.0,crypto,lse`...) is resolved, and kept
 * when it gives the same target id; '' (unset) when Go's default does. The resolver stays the one home
 * of what the values mean.
 */
export function subArchSpellings(target: Target): string[] {
  if (target.subArch === null) return [];
  const { variable } = target.subArch;
  const field = (Object.keys(subArchFields) as Array<keyof SubArchRequest>).find(
    (key) => subArchFields[key] === variable,
  )!;
  const base = {
    target: `${target.goos}/${target.goarch}`,
    libc: target.libc,
    ...(target.glibcVersion === null ? {} : { glibcVersion: target.glibcVersion }),
    ...(target.macosSdk === null ? {} : { macosSdk: target.macosSdk }),
  };
  const same = (value: string | undefined) => {
    try {
      const resolved = resolveTarget(value === undefined ? base : { ...base, [field]: value }, {
        zigVersion: target.zigVersion,
      });
      return resolved.id === target.id;
    } catch (error) {
      if (error instanceof XccError) return false;
      throw error;
    }
  };
  const spellings = candidateSpellings(variable).filter(same);
  return same(undefined) ? ['', ...spellings] : spellings;
}

function candidateSpellings(variable: string): string[] {
  const data = targetsData().subArch;
  if (variable === 'GOARM') {
    return Object.keys(data.GOARM.values).flatMap((value) => [
      value,
      `${value},softfloat`,
      `${value},hardfloat`,
    ]);
  }
  if (variable === 'GOARM64') {
    const extensions = ['', ',lse', ',crypto', ',lse,crypto', ',crypto,lse'];
    return Object.keys(data.GOARM64.values).flatMap((value) =>
      extensions.map((extension) => value + extension),
    );
  }
  return Object.keys(data[variable as keyof typeof data].values);
}

/** A target as the dispatcher tells it apart from the others. */
export function dispatchKey(target: Target): Omit<DispatchEntry, 'tools'> {
  return {
    id: target.id,
    goos: target.goos,
    goarch: target.goarch,
    subArch:
      target.subArch === null
        ? null
        : { variable: target.subArch.variable, spellings: subArchSpellings(target) },
  };
}

/** A provisioned target as the dispatcher needs it. */
export function dispatchEntry(target: Target, tools: Record<string, string>): DispatchEntry {
  return { ...dispatchKey(target), tools: { cc: tools.cc!, 'c++': tools['c++']! } };
}

/**
 * Two targets that the GO* variables cannot tell apart (linux/amd64 with musl and with glibc) cannot share
 * one CC: refused, with the fix.
 */
export function checkDistinct(entries: Array<Omit<DispatchEntry, 'tools'>>): void {
  const seen = new Map<string, string>();
  for (const entry of entries) {
    for (const spelling of entry.subArch?.spellings ?? ['']) {
      const key = `${entry.goos}/${entry.goarch}/${spelling}`;
      const other = seen.get(key);
      if (other !== undefined && other !== entry.id) {
        throw new UsageError(
          `${other} and ${entry.id} are both ${entry.goos}/${entry.goarch}${entry.subArch ? ` with the same ${entry.subArch.variable}` : ''}: one CC tells targets apart only by GOOS, GOARCH and ${entry.subArch?.variable ?? 'the sub-architecture variable'}; keep one of them (use xcc env or xcc exec for the other)`,
        );
      }
      seen.set(key, entry.id);
    }
  }
}

/** What a dispatcher directory records beside its scripts: its targets, and the host's compilers. */
export interface DispatchRecord {
  targets: string[];
  host: HostCompilers;
}

const RECORD = 'dispatch.json';

export interface Dispatcher {
  dir: string;
  cc: string;
  cxx: string;
  /** CC and CXX as Go reads them (a path with spaces quoted). */
  env: { CC: string; CXX: string };
  record: DispatchRecord;
}

/**
 * Writes the dispatcher of these targets into `<home>/v1/dispatch/<hash>/`. The directory is named by a
 * hash of the scripts, as the wrapper directories are: Go's build cache keys cgo objects by the CC path
 * and the compiler's version line, not by what the script does, so different scripts need different paths.
 */
export async function writeDispatcher(options: {
  home: string;
  entries: DispatchEntry[];
  host: HostCompilers;
  command: string;
}): Promise<Dispatcher> {
  const { home, entries, host, command } = options;
  if (entries.length === 0) throw new UsageError(`name at least one target, like '${command} linux/arm64'`);
  checkDistinct(entries);
  const texts = {
    cc: renderDispatcher({ tool: 'cc', entries, host, command }),
    'c++': renderDispatcher({ tool: 'c++', entries, host, command }),
  };
  const digest = createHash('sha256').update(texts.cc).update('\0').update(texts['c++']).digest('hex');
  const dir = path.join(cacheLayout(home).dispatch, digest.slice(0, 12));
  await ensureCacheDir(home, dir);
  const record: DispatchRecord = { targets: entries.map((entry) => entry.id), host };
  await writeIfChanged(path.join(dir, 'cc'), texts.cc, CACHE_EXECUTABLE_MODE);
  await writeIfChanged(path.join(dir, 'c++'), texts['c++'], CACHE_EXECUTABLE_MODE);
  await writeIfChanged(path.join(dir, RECORD), `${JSON.stringify(record, null, 2)}\n`, CACHE_FILE_MODE);
  const cc = path.join(dir, 'cc');
  const cxx = path.join(dir, 'c++');
  return { dir, cc, cxx, env: { CC: goQuote(cc), CXX: goQuote(cxx) }, record };
}

/**
 * The record of the dispatcher a compiler command belongs to, when its first word is a script of ours
 * (`go env CC` after `xcc setup`): then the host's real compilers are the ones recorded there.
 */
export async function dispatcherOf(home: string, command: string[]): Promise<DispatchRecord | undefined> {
  if (!isDispatcher(home, command)) return undefined;
  const file = path.join(path.dirname(command[0]!), RECORD);
  // Nothing is read from a cache others could have written.
  if (!(await checkCachePath(home, file).catch(() => false))) return undefined;
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as DispatchRecord;
    const words = (value: unknown) => Array.isArray(value) && value.every((word) => typeof word === 'string');
    if (!words(parsed.host?.cc) || !words(parsed.host?.cxx)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

/** Whether a compiler command runs one of xcc's dispatchers (`<home>/v1/dispatch/<hash>/cc`). */
export function isDispatcher(home: string, command: string[]): boolean {
  const [first] = command;
  if (first === undefined || !path.isAbsolute(first)) return false;
  const relative = path.relative(cacheLayout(home).dispatch, path.dirname(first));
  return (
    relative !== '' &&
    !relative.startsWith('..') &&
    !path.isAbsolute(relative) &&
    !relative.includes(path.sep)
  );
}

/**
 * CC as Go splits it (cmd/internal/quoted.Split): fields separated by spaces, a field that starts with a
 * quote runs to the same quote, with no escapes.
 */
export function goSplit(text: string): string[] {
  const words: string[] = [];
  let rest = text;
  for (;;) {
    rest = rest.replace(/^[ \t\n\r]+/, '');
    if (rest === '') return words;
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      const end = rest.indexOf(quote, 1);
      if (end < 0) throw new XccError(`unterminated ${quote} in ${text}; fix CC or CXX in go env`);
      words.push(rest.slice(1, end));
      rest = rest.slice(end + 1);
      continue;
    }
    const end = rest.search(/[ \t\n\r]/);
    words.push(end < 0 ? rest : rest.slice(0, end));
    rest = end < 0 ? '' : rest.slice(end);
  }
}

async function writeIfChanged(file: string, text: string, mode: number): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current === text) return;
  await writeFileAtomic(file, text, { mode });
}
