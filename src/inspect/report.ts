import { readFile } from 'node:fs/promises';
import { XccError } from '../errors.js';
import { FormatError } from './bytes.js';
import { checkExpectations, type Expectation, type ExpectationResult } from './expect.js';
import { type BinaryFacts, inspectBytes } from './facts.js';
import { type Host, judge, target, type Verdict } from './verdicts.js';

/** Bumped only when a field of the `--json` shape changes meaning or goes away; new fields do not bump it. */
export const REPORT_VERSION = 1;

export interface ImageReport {
  facts: BinaryFacts;
  verdicts: Verdict[];
}

export interface FileReport {
  file: string;
  /** One line when the file could not be read or parsed; then `images` and `expectations` are empty. */
  error: string | null;
  /** One image, or one per architecture of a universal Mach-O file. */
  images: ImageReport[];
  expectations: ExpectationResult[];
}

export interface InspectReport {
  version: typeof REPORT_VERSION;
  host: { os: string; arch: string; glibc: string | null; amd64Level: number | null };
  /** False when a file could not be read or an expectation failed: the CLI then exits 1. */
  ok: boolean;
  files: FileReport[];
}

/** Reads and parses one file; a missing, unreadable or malformed file is an XccError with a one-line message. */
export async function inspectFile(file: string): Promise<BinaryFacts[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new XccError(`cannot read ${file}: ${readProblem(error)}`, { cause: error });
  }
  try {
    return inspectBytes(bytes);
  } catch (error) {
    if (error instanceof FormatError) throw new XccError(`${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ERR_FS_FILE_TOO_LARGE') return 'too large to be an executable xcc can read';
  return (error as Error).message;
}

export async function inspectFiles(
  files: readonly string[],
  host: Host,
  expectations: readonly Expectation[] = [],
): Promise<InspectReport> {
  const reports: FileReport[] = [];
  for (const file of files) reports.push(await fileReport(file, host, expectations));
  return {
    version: REPORT_VERSION,
    host: { os: host.os, arch: host.arch, glibc: host.glibc ?? null, amd64Level: host.amd64Level ?? null },
    ok: reports.every((report) => report.error === null && report.expectations.every((result) => result.ok)),
    files: reports,
  };
}

async function fileReport(
  file: string,
  host: Host,
  expectations: readonly Expectation[],
): Promise<FileReport> {
  let images: BinaryFacts[];
  try {
    images = await inspectFile(file);
  } catch (error) {
    if (error instanceof XccError) return { file, error: error.message, images: [], expectations: [] };
    throw error;
  }
  return {
    file,
    error: null,
    images: images.map((facts) => ({ facts, verdicts: judge(facts, host) })),
    expectations: checkExpectations(images, expectations),
  };
}

export function renderJson(report: InspectReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The human report: one block per image, facts first, then verdicts, then expectations. */
export function renderText(report: InspectReport): string {
  return report.files
    .filter((file) => file.error === null)
    .map(renderFile)
    .join('\n');
}

function renderFile(file: FileReport): string {
  const lines: string[] = [];
  file.images.forEach((image, index) => {
    const label =
      file.images.length > 1 ? `${file.file} (image ${index + 1} of ${file.images.length})` : file.file;
    lines.push(
      `${label}: ${summary(image.facts)}`,
      ...details(image.facts),
      ...image.verdicts.map(verdictLine),
    );
  });
  for (const result of file.expectations) {
    lines.push(`  expect ${result.expectation}: ${result.ok ? 'ok' : 'FAILED'} (${result.actual})`);
  }
  return `${lines.join('\n')}\n`;
}

const FORMAT_NAMES = { elf: 'ELF', pe: 'PE', macho: 'Mach-O' } as const;

function summary(facts: BinaryFacts): string {
  const parts = [
    `${FORMAT_NAMES[facts.format]} ${facts.bits}-bit ${facts.endian === 'little' ? 'LSB' : 'MSB'} ${facts.kind.replace('-', ' ')}`,
    `${target(facts)} (${facts.machine})`,
    facts.linkage,
  ];
  if (facts.libc !== null) parts.push(facts.libc);
  if (facts.go !== null) parts.push(`Go ${facts.go.version}`);
  return parts.join(', ');
}

function details(facts: BinaryFacts): string[] {
  const rows: [string, string | null][] = [
    ['loader', facts.interpreter],
    ['libraries', facts.libraries.length === 0 ? null : facts.libraries.join(', ')],
    ['glibc', facts.glibc === null ? null : `${facts.glibc.version} (highest GLIBC_ symbol version needed)`],
    ['arm', facts.arm === null ? null : armText(facts.arm)],
    ['cpu', facts.cpuVariant],
    ['min os', facts.minOsVersion],
    ...machoRows(facts.macho),
    ['go', facts.go === null ? null : goText(facts.go)],
    ['settings', facts.go === null ? null : settingsText(facts.go.settings)],
    ['build id', facts.go?.buildId ?? null],
    ['compilers', facts.compilers.length === 0 ? null : facts.compilers.join('; ')],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== null)
    .map(([key, value]) => `  ${key.padEnd(10)}  ${value}`);
}

function machoRows(macho: BinaryFacts['macho']): [string, string][] {
  if (macho === null) return [];
  const signature = macho.codeSignature;
  const count = new Set(macho.imports.flatMap((entry) => entry.library ?? [])).size;
  const libraries = `${count} ${count === 1 ? 'library' : 'libraries'}`;
  return [
    ['entry', macho.hasMain ? 'LC_MAIN' : 'no LC_MAIN'],
    [
      'signature',
      signature === null
        ? 'none'
        : `${signature.adhoc ? 'ad hoc' : 'certificate (not checked)'}, page hashes ${signature.valid ? 'valid' : 'INVALID'}`,
    ],
    ['imports', `${macho.imports.length} symbols from ${libraries} (the list is in --json)`],
  ];
}

function armText(arm: NonNullable<BinaryFacts['arm']>): string {
  const parts = [arm.eabi === null ? 'no EABI version' : `EABI${arm.eabi}`];
  if (arm.floatAbi !== null) parts.push(`${arm.floatAbi}-float`);
  if (arm.cpuArch !== null) parts.push(`CPU ${arm.cpuArch}`);
  if (arm.fpu !== null) parts.push(`FPU ${arm.fpu}`);
  return parts.join(', ');
}

function goText(go: NonNullable<BinaryFacts['go']>): string {
  const parts = [go.version];
  if (go.path !== null) parts.push(go.path);
  if (go.main !== null) parts.push(`module ${go.main.path} ${go.main.version}`);
  if (go.deps.length > 0) parts.push(`${go.deps.length} dependencies`);
  return parts.join(', ');
}

/** Every build setting but DefaultGODEBUG (long, and in --json); values with spaces are quoted. */
function settingsText(settings: Record<string, string>): string {
  return Object.entries(settings)
    .filter(([key]) => key !== 'DefaultGODEBUG')
    .map(([key, value]) => `${key}=${/[\s"]/.test(value) ? JSON.stringify(value) : value}`)
    .join(' ');
}

const MARKS = { true: 'ok', false: 'NO', null: '--' } as const;

function verdictLine(verdict: Verdict): string {
  return `  ${MARKS[`${verdict.ok}`]}  ${verdict.text}`;
}
