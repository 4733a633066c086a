import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Libc, TargetRequest } from '../resolve/index.js';

/**
 * A project's xcc settings: `xcc.json`, or the `"xcc"` field of package.json, in the nearest directory
 * (from the working directory up) that has either. `xcc install` with no arguments provisions the Zig
 * and every target listed, which is what `"postinstall": "xcc install"` runs.
 *
 *     { "zig": "0.15", "targets": ["linux/arm64", { "target": "linux/amd64", "glibc": "2.28" }] }
 *
 * A target's `"sysroot"` is taken from the file's directory when relative, so the file means the same
 * from wherever xcc runs.
 */
export interface ProjectConfig {
  /** The file it came from: `…/xcc.json` or `…/package.json`. */
  file: string;
  /** The directory holding it: where `xcc.lock.json` goes. */
  dir: string;
  /** A Zig version spec; undefined means xcc's pinned default. */
  zig: string | undefined;
  targets: TargetRequest[];
}

export const CONFIG_FILE = 'xcc.json';
export const LOCK_FILE = 'xcc.lock.json';

/** The nearest project config, or undefined when no directory up from `cwd` has one. */
export function findProjectConfig(cwd: string = process.cwd()): ProjectConfig | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const config = readConfigIn(dir);
    if (config !== undefined) return config;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function readConfigIn(dir: string): ProjectConfig | undefined {
  const ownFile = path.join(dir, CONFIG_FILE);
  const manifestFile = path.join(dir, 'package.json');
  const own = existsSync(ownFile) ? readJson(ownFile) : undefined;
  const manifest = existsSync(manifestFile) ? readJson(manifestFile) : undefined;
  const field = isObject(manifest) ? manifest.xcc : undefined;
  if (own !== undefined && field !== undefined) {
    throw new UsageError(
      `${dir} has both ${CONFIG_FILE} and an "xcc" field in package.json; keep one of them`,
    );
  }
  if (own !== undefined) return parseProjectConfig(own, ownFile);
  if (field !== undefined) return parseProjectConfig(field, manifestFile, 'xcc');
  return undefined;
}

function readJson(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON (${(error as Error).message}); fix the file`);
  }
}

const TEXT_FIELDS = [
  'goarm',
  'goarm64',
  'goamd64',
  'go386',
  'gomips',
  'gomips64',
  'goppc64',
  'goriscv64',
] as const;
const TARGET_FIELDS = new Set<string>(['target', 'libc', 'glibc', 'macosSdk', 'sysroot', ...TEXT_FIELDS]);
const LIBCS: readonly Libc[] = ['musl', 'glibc', 'mingw'];

/** Validates a config document; every mistake names where it is and what would be right. */
export function parseProjectConfig(document: unknown, file: string, field?: string): ProjectConfig {
  const where = (at: string) => `${file}: ${field ? `${field}.` : ''}${at}`;
  if (!isObject(document)) {
    const what = field ? `${file}: "${field}"` : file;
    throw new UsageError(
      `${what} must be an object like {"targets": ["linux/arm64"]}, got ${show(document)}`,
    );
  }
  for (const key of Object.keys(document)) {
    if (key !== 'zig' && key !== 'targets') {
      throw new UsageError(`${where(key)} is not a setting xcc knows; use "zig" and "targets"`);
    }
  }
  const { zig, targets } = document;
  if (zig !== undefined && (typeof zig !== 'string' || zig.trim() === '')) {
    throw new UsageError(
      `${where('zig')} must be a version spec string like "0.15.2" or "0.15", got ${show(zig)}`,
    );
  }
  if (targets !== undefined && !Array.isArray(targets)) {
    throw new UsageError(
      `${where('targets')} must be a list like ["linux/arm64", "windows/amd64"], got ${show(targets)}`,
    );
  }
  return {
    file,
    dir: path.dirname(file),
    zig: zig as string | undefined,
    targets: (targets ?? []).map((entry: unknown, i: number) =>
      parseTargetEntry(entry, where(`targets[${i}]`), path.dirname(file)),
    ),
  };
}

function parseTargetEntry(entry: unknown, where: string, dir: string): TargetRequest {
  if (typeof entry === 'string') return { target: entry };
  if (!isObject(entry)) {
    throw new UsageError(
      `${where} must be a target string like "linux/arm64" or an object like {"target": "linux/amd64", "glibc": "2.28"}, got ${show(entry)}`,
    );
  }
  for (const key of Object.keys(entry)) {
    if (!TARGET_FIELDS.has(key)) {
      throw new UsageError(`${where}.${key} is not a target setting; use ${[...TARGET_FIELDS].join(', ')}`);
    }
  }
  const request: TargetRequest = { target: text(entry.target, `${where}.target`, '"linux/arm64"') };
  if (entry.libc !== undefined) {
    if (!LIBCS.includes(entry.libc as Libc)) {
      throw new UsageError(
        `${where}.libc must be one of ${LIBCS.map((l) => `"${l}"`).join(', ')}, got ${show(entry.libc)}`,
      );
    }
    request.libc = entry.libc as Libc;
  }
  if (entry.glibc !== undefined) {
    // A JSON number would turn "2.30" into 2.3 before xcc sees it.
    request.glibcVersion = text(
      entry.glibc,
      `${where}.glibc`,
      '"2.28" (a string: 2.30 as a number would read as 2.3)',
    );
    request.libc ??= 'glibc';
  }
  if (entry.macosSdk !== undefined)
    request.macosSdk = text(entry.macosSdk, `${where}.macosSdk`, '"/path/to/MacOSX.sdk"');
  if (entry.sysroot !== undefined)
    request.sysroot = path.resolve(dir, text(entry.sysroot, `${where}.sysroot`, '"path/to/sysroot"'));
  for (const name of TEXT_FIELDS) {
    if (entry[name] !== undefined)
      request[name] = text(entry[name], `${where}.${name}`, 'a string such as "7" or "v3"');
  }
  return request;
}

function text(value: unknown, where: string, example: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError(`${where} must be ${example}, got ${show(value)}`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return `${Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value} ${json.length > 40 ? `${json.slice(0, 37)}...` : json}`;
}
