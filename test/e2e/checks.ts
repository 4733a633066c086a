import { compareDottedVersions } from '../../src/inspect/facts.js';
import { codeSignatureMatches, readMacho } from '../../src/inspect/macho.js';
import { inspectFile } from '../../src/inspect/report.js';
import type { Row } from './matrix.js';
import { exec, failure } from './process.js';
import type { HeaderFacts } from './results.js';

/**
 * Header checks of a built executable: xcc's own reader (src/inspect) for the facts, `file` and
 * `readelf` as independent second opinions on the ones a wrong toolchain gets wrong (machine, linkage,
 * glibc symbol versions).
 */

export async function headerFacts(file: string): Promise<HeaderFacts> {
  const [facts] = await inspectFile(file);
  if (facts === undefined) throw new Error(`${file}: no image`);
  const described = await exec('file', ['-b', file], { timeoutMs: 60_000 });
  if (described.exitCode !== 0) throw new Error(failure(described));
  const fileText = described.stdout.trim();
  return {
    format: facts.format,
    machine: facts.machine,
    os: facts.os,
    arch: facts.arch,
    osAbi: facts.format === 'elf' ? (/\bversion 1 \(([^)]+)\)/.exec(fileText)?.[1] ?? null) : null,
    linkage: facts.linkage,
    interpreter: facts.interpreter,
    libc: facts.libc,
    glibc: facts.glibc?.version ?? null,
    cpuVariant: facts.cpuVariant,
    floatAbi: facts.arm?.floatAbi ?? null,
    file: fileText,
  };
}

/** Every way the executable differs from what the row asked for; empty when it is right. */
export function headerProblems(row: Row, facts: HeaderFacts): string[] {
  const { expect } = row;
  const problems: string[] = [];
  const want = (what: string, actual: unknown, expected: unknown) => {
    if (actual !== expected) problems.push(`${what} is ${String(actual)}, expected ${String(expected)}`);
  };
  want('format', facts.format, expect.format);
  want('GOOS', facts.os, expect.goos);
  want('GOARCH', facts.arch, expect.goarch);
  const linkage = facts.linkage === 'dynamic' ? 'dynamic' : 'static';
  want('linkage', linkage, expect.linkage);
  if (expect.interpreter !== undefined) want('interpreter', facts.interpreter, expect.interpreter);
  if (row.libc === 'musl' || row.libc === 'glibc') want('libc', facts.libc, row.libc);
  if (expect.cpuVariant !== undefined) want('CPU level', facts.cpuVariant, expect.cpuVariant);
  if (expect.floatAbi !== undefined) want('ARM float ABI', facts.floatAbi, expect.floatAbi);
  if (row.glibc !== undefined) {
    if (facts.glibc === null) problems.push('needs no GLIBC_x.y symbol version: not linked against glibc?');
    else if (compareDottedVersions(facts.glibc, row.glibc) > 0)
      problems.push(`needs GLIBC_${facts.glibc}, newer than the ${row.glibc} asked for`);
  }
  problems.push(...fileProblems(row, facts));
  return problems;
}

/** What `file` says must agree: the machine, and for ELF the OS ABI and static or dynamic linking. */
function fileProblems(row: Row, facts: HeaderFacts): string[] {
  const problems: string[] = [];
  const { expect } = row;
  if (!expect.fileMachine.test(facts.file))
    problems.push(`file says '${facts.file}', which does not name ${expect.fileMachine}`);
  if (expect.format !== 'elf') return problems;
  const fileSaysDynamic = /dynamically linked/.test(facts.file);
  if (fileSaysDynamic !== (expect.linkage === 'dynamic'))
    problems.push(`file says '${facts.file}', expected ${expect.linkage} linking`);
  if (expect.goos === 'freebsd') {
    // FreeBSD brands a binary by its OS ABI or, failing that, by its ABI note (.note.tag, "FreeBSD"),
    // which `file` reports as "FreeBSD-style". lld leaves the OS ABI at SYSV and keeps the note.
    const branded = facts.osAbi === 'FreeBSD' || (facts.osAbi === 'SYSV' && /FreeBSD-style/.test(facts.file));
    if (!branded)
      problems.push(`ELF OS ABI is ${facts.osAbi} with no FreeBSD note: FreeBSD would not run it`);
  } else if (facts.osAbi === null || !/^(SYSV|GNU\/Linux)$/.test(facts.osAbi)) {
    problems.push(`ELF OS ABI is ${facts.osAbi}, expected SYSV or GNU/Linux`);
  }
  return problems;
}

/** The highest GLIBC_x.y that `readelf -V` lists as needed: must equal what xcc's reader found. */
export async function readelfGlibc(file: string): Promise<string | null> {
  const result = await exec('readelf', ['-V', '--wide', file], { timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(failure(result));
  const versions = [...result.stdout.matchAll(/Name: GLIBC_(\d+(?:\.\d+)+)\b/g)].map((match) => match[1]!);
  return versions.reduce<string | null>(
    (highest, version) =>
      highest === null || compareDottedVersions(version, highest) > 0 ? version : highest,
    null,
  );
}

const CPU_ARM64 = 0x0100000c;
const PLATFORM_MACOS = 1;

/**
 * How a Mach-O that xcc linked differs from what Go's internal linker makes of a program (`reference`,
 * built with CGO_ENABLED=0), in what macOS checks before it runs a program: every dylib the reference loads,
 * from the same install path; a minimum macOS no higher than Go's own (a binary that says 13.0 refuses
 * to start on macOS 12); an LC_MAIN entry; on arm64 an ad-hoc code signature whose page hashes hold
 * (arm64 macOS kills an unsigned program).
 */
export function machoProblems(built: Uint8Array, reference: Uint8Array): string[] {
  const cgo = readMacho(built);
  const pure = readMacho(reference);
  const problems: string[] = [];
  const missing = pure.dylibs.filter((dylib) => !cgo.dylibs.includes(dylib));
  if (missing.length > 0) problems.push(`loads no ${missing.join(', ')}`);
  if (cgo.platform !== PLATFORM_MACOS)
    problems.push(`LC_BUILD_VERSION platform is ${cgo.platform}, not macOS`);
  if (pure.minOs === null) problems.push("Go's own link has no minimum macOS to compare with");
  else if (cgo.minOs === null || compareDottedVersions(cgo.minOs, pure.minOs) > 0)
    problems.push(`needs macOS ${cgo.minOs}, where Go's own link needs ${pure.minOs}`);
  if (!cgo.hasMain) problems.push('has no LC_MAIN entry point');
  if (cgo.cputype === CPU_ARM64 && !codeSignatureMatches(built, cgo))
    problems.push('has no ad-hoc code signature whose page hashes hold');
  return problems;
}
