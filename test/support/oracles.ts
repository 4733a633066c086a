import path from 'node:path';
import { compareDottedVersions } from '../../src/inspect/facts.js';
import { run } from './builds.js';

/**
 * What the standard tools say about a binary: binutils' readelf, file(1) and `go version -m`. The
 * inspect tests check xcc's own parsers against these.
 */

function output(command: string, args: readonly string[]): string {
  const result = run(command, args, { env: { ...process.env, LC_ALL: 'C' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

export interface ReadelfFacts {
  bits: 32 | 64;
  endian: 'little' | 'big';
  type: string;
  flags: number;
  interpreter: string | null;
  needed: string[];
  glibc: string | null;
  symtab: boolean;
  debugInfo: boolean;
  /** From `readelf -A`: Tag_CPU_arch and Tag_ABI_VFP_args, when present. */
  armCpuArch: string | null;
  armVfpArgs: string | null;
}

export function readelf(file: string): ReadelfFacts {
  const header = output('readelf', ['-hW', file]);
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm').exec(header)?.[1]?.trim() ?? '';
  const program = output('readelf', ['-lW', file]);
  const dynamic = output('readelf', ['-dW', file]);
  const versions = output('readelf', ['-VW', file]);
  const sections = output('readelf', ['-SW', file]);
  const attributes = output('readelf', ['-AW', file]);
  const glibc = [...versions.matchAll(/Name: GLIBC_(\d+(?:\.\d+)+)/g)].map((match) => match[1]!);
  return {
    bits: field('Class') === 'ELF64' ? 64 : 32,
    endian: field('Data').includes('little') ? 'little' : 'big',
    type: field('Type').split(' ')[0]!,
    flags: Number.parseInt(field('Flags'), 16),
    interpreter: /Requesting program interpreter: (.*)\]/.exec(program)?.[1] ?? null,
    needed: [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((match) => match[1]!),
    glibc: glibc.length === 0 ? null : glibc.reduce((a, b) => (compareDottedVersions(a, b) >= 0 ? a : b)),
    symtab: /\s\.symtab\s/.test(sections),
    debugInfo: /\s\.z?debug_/.test(sections),
    armCpuArch: /Tag_CPU_arch: (\S+)/.exec(attributes)?.[1] ?? null,
    armVfpArgs: /Tag_ABI_VFP_args: (.*)/.exec(attributes)?.[1]?.trim() ?? null,
  };
}

/** `file -b`: the one-line description. */
export function fileType(file: string): string {
  return output('file', ['-b', file]).trim();
}

export interface GoVersionFacts {
  version: string;
  lines: string[];
}

/** `go version -m`: the Go version and the build info lines (path, mod, dep, build), without leading tabs. */
export function goVersionM(file: string): GoVersionFacts {
  const [first, ...rest] = output('go', ['version', '-m', file]).trimEnd().split('\n');
  return {
    version: first!.slice(first!.indexOf(': ') + 2),
    lines: rest.map((line) => line.replace(/^\t/, '')),
  };
}

export function goToolBuildId(file: string): string {
  return output('go', ['tool', 'buildid', file]).trim();
}

/** llvm-readobj's list of needed libraries (DLLs for PE, dylibs for Mach-O), when LLVM is installed. */
export function llvmNeededLibraries(file: string): string[] {
  const text = output('llvm-readobj', ['--needed-libs', file]);
  const block = /NeededLibraries \[\n([\s\S]*?)\n\]/.exec(text)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

export interface UniversalHeaderEntry {
  arch: string;
  offset: number;
  size: number;
  align: number;
}

/** `llvm-objdump --macho --universal-headers`: the fat magic and each architecture's entry. */
export function llvmUniversalHeaders(
  objdump: string,
  file: string,
): { magic: string; arches: UniversalHeaderEntry[] } {
  const text = output(objdump, ['--macho', '--universal-headers', file]);
  const arches = text
    .split(/^architecture /m)
    .slice(1)
    .map((block) => ({
      arch: block.split('\n')[0]!.trim(),
      offset: Number(/^\s*offset (\d+)$/m.exec(block)?.[1]),
      size: Number(/^\s*size (\d+)$/m.exec(block)?.[1]),
      align: Number(/^\s*align 2\^(\d+)/m.exec(block)?.[1]),
    }));
  return { magic: /^fat_magic (\S+)$/m.exec(text)?.[1] ?? '', arches };
}

/**
 * `llvm-objdump --macho --bind --lazy-bind` of a thin image: each bound symbol once, as `dylib symbol`,
 * llvm naming the dylib by its short name (`libSystem`, `Security`; see `dylibShortName`). Sorted.
 */
export function llvmBoundSymbols(objdump: string, file: string): string[] {
  const text = output(objdump, ['--macho', '--bind', '--lazy-bind', file]);
  const rows = text
    .split('\n')
    .filter((line) => /^__\S+\s/.test(line))
    .map((line) => line.trim().split(/\s+/).slice(-2).join(' '));
  return [...new Set(rows)].sort();
}

/** llvm's short name of a dylib install path: the file name up to its first dot (`libSystem.B.dylib` → `libSystem`). */
export function dylibShortName(installPath: string): string {
  return path.posix.basename(installPath).split('.')[0]!;
}
