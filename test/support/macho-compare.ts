import { compareDottedVersions, inspectBytes } from '../../src/inspect/facts.js';
import { CPU_TYPE_ARM64, codeSignatureMatches, readMacho } from '../../src/inspect/macho.js';

/**
 * Holding a darwin build that xcc linked (nothing here can run a Mach-O) against what Go's internal
 * linker makes of a program for the same target (CGO_ENABLED=0, known to run on macOS).
 */

/**
 * Imports Go itself names differently when it links externally (cgo) than when it links alone. The
 * runtime declares `libc_exit` as C `_exit` (`__exit`) and the syscall package declares it as C `exit`
 * (`_exit`); linking alone Go binds `_exit`, while the object it hands an external linker (go.o, kept with
 * -ldflags=-tmpdir) already references `exit`, so every cgo darwin build of this Go, whatever the linker,
 * imports `exit` where the pure-Go build imports `_exit`. Both are libSystem's.
 */
export const RENAMED_BY_GO: Record<string, string> = {
  '/usr/lib/libSystem.B.dylib __exit': '/usr/lib/libSystem.B.dylib _exit',
};

const PLATFORM_MACOS = 1;

/**
 * How a Mach-O that xcc linked differs from what Go's internal linker makes of a program (`reference`,
 * built with CGO_ENABLED=0), in what macOS checks before it runs a program: every dylib the reference loads,
 * from the same install path; every symbol it imports, from the same dylib (but RENAMED_BY_GO); a minimum
 * macOS no higher than Go's own (a binary that says 13.0 refuses to start on macOS 12); an LC_MAIN entry;
 * on arm64 an ad-hoc code signature whose page hashes hold (arm64 macOS kills an unsigned program).
 */
export function machoProblems(built: Uint8Array, reference: Uint8Array): string[] {
  const cgo = readMacho(built);
  const pure = readMacho(reference);
  const problems: string[] = [];
  const missing = pure.dylibs.filter((dylib) => !cgo.dylibs.includes(dylib));
  if (missing.length > 0) problems.push(`loads no ${missing.join(', ')}`);
  const imported = new Set(importKeys(built));
  const unbound = importKeys(reference).filter(
    (key) => !imported.has(key) && !(key in RENAMED_BY_GO && imported.has(RENAMED_BY_GO[key]!)),
  );
  if (unbound.length > 0) problems.push(`imports no ${unbound.join(', ')}`);
  if (cgo.platform !== PLATFORM_MACOS)
    problems.push(`LC_BUILD_VERSION platform is ${cgo.platform}, not macOS`);
  if (pure.minOs === null) problems.push("Go's own link has no minimum macOS to compare with");
  else if (cgo.minOs === null || compareDottedVersions(cgo.minOs, pure.minOs) > 0)
    problems.push(`needs macOS ${cgo.minOs}, where Go's own link needs ${pure.minOs}`);
  if (!cgo.hasMain) problems.push('has no LC_MAIN entry point');
  if (cgo.cputype === CPU_TYPE_ARM64 && !codeSignatureMatches(built, cgo))
    problems.push('has no ad-hoc code signature whose page hashes hold');
  return problems;
}

/** Each import of a thin image as `install-path symbol`. */
export function importKeys(bytes: Uint8Array): string[] {
  const [image] = inspectBytes(bytes);
  return (image?.macho?.imports ?? []).map((entry) => `${entry.library} ${entry.symbol}`);
}
