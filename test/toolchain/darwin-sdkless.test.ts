import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeSignatureMatches, readMacho } from '../../src/inspect/macho.js';
import { readMachoImports } from '../../src/inspect/macho-imports.js';
import { run } from '../support/builds.js';
import { importKeys, RENAMED_BY_GO } from '../support/macho-compare.js';
import { dylibShortName, llvmBoundSymbols } from '../support/oracles.js';
import { fixturesDir } from '../support/paths.js';
import { needTestZig } from '../support/provided-zig.js';
import { testZigBuildCache } from '../support/test-zig.js';
import { mustRun, provisionForTest } from '../support/toolchains.js';
import { hasCommand, installHint, needLlvmTool, requireOrSkip } from '../support/tools.js';

/**
 * darwin targets without a macOS SDK: xcc generates stubs of Apple's libraries from the Go that builds
 * and the wrappers link against them. Nothing here can run a Mach-O, so each cgo build is checked against
 * the same program built by Go's internal linker (CGO_ENABLED=0, known to run on macOS): the same dylibs
 * from the same install paths, every symbol the pure-Go build imports imported from the same dylib, the
 * same minimum macOS, an LC_MAIN entry, and on arm64 a code signature whose page hashes hold. Built
 * without -ldflags=-w, so Go's DWARF step runs too.
 */

/** The cgo builds, by GOARCH, for the check of the import reader against llvm-objdump. */
const cgoBuilds = new Map<string, string>();

let work: string;
let home: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'xcc-darwin-'));
  home = await mkdtemp(path.join(os.tmpdir(), 'xcc-darwin-home-'));
});

function needGo(context: Parameters<typeof needTestZig>[0]): void {
  if (!hasCommand('go')) requireOrSkip(context, 'go is not installed', installHint('go'));
}

/** Files below `dir` by relative path, with their modes. */
function tree(dir: string, prefix = ''): Record<string, number> {
  const entries: Record<string, number> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = path.posix.join(prefix, entry.name);
    entries[relative] = statSync(path.join(dir, entry.name)).mode & 0o777;
    if (entry.isDirectory()) Object.assign(entries, tree(path.join(dir, entry.name), relative));
  }
  return entries;
}

describe('darwin targets without a macOS SDK', () => {
  it.for([
    ['darwin/arm64', 'arm64'],
    ['darwin/amd64', 'amd64'],
  ])(
    '%s: a cgo program with C, C++, net, net/http and crypto/x509 links like Go links it alone',
    { timeout: 900_000 },
    async ([target, goarch], context) => {
      const test = needTestZig(context);
      needGo(context);
      const toolchain = await provisionForTest(test, { target: target! }, { home });
      expect(toolchain.env.SDKROOT).toBeUndefined();

      const goVersion = mustRun('go', ['env', 'GOVERSION']).trim();
      const stubs = path.join(home, 'v1', 'darwin-stubs', goVersion);
      expect(tree(stubs)).toEqual({
        'CoreFoundation.framework': 0o755,
        'CoreFoundation.framework/CoreFoundation.tbd': 0o644,
        'Security.framework': 0o755,
        'Security.framework/Security.tbd': 0o644,
        'libresolv.tbd': 0o644,
        'stubs.json': 0o644,
      });
      const wrapper = readFileSync(toolchain.tools.cc!, 'utf8');
      expect(wrapper).toContain(`-F${stubs}`);
      expect(wrapper).toMatch(/-target (aarch64|x86_64)-macos\.12\.0-none/);

      const source = path.join(work, goarch!);
      cpSync(path.join(fixturesDir, 'darwin-cgo'), source, { recursive: true });
      const withCgo = path.join(work, `cgo-${goarch}`);
      const alone = path.join(work, `pure-${goarch}`);
      const env = { ...process.env, ...toolchain.env, GOFLAGS: '-trimpath' };
      mustRun('go', ['build', '-o', withCgo, '.'], { cwd: source, env });
      mustRun('go', ['build', '-o', alone, '.'], {
        cwd: source,
        env: { ...process.env, GOOS: 'darwin', GOARCH: goarch, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
      });

      const cgoBytes = readFileSync(withCgo);
      const cgo = readMacho(cgoBytes);
      const pureBytes = readFileSync(alone);
      const pure = readMacho(pureBytes);
      cgoBuilds.set(goarch!, withCgo);
      expect(pure.dylibs).toContain('/System/Library/Frameworks/Security.framework/Versions/A/Security');
      expect([...cgo.dylibs].sort()).toEqual([...pure.dylibs].sort());
      const cgoImports = new Set(importKeys(cgoBytes));
      const pureImports = importKeys(pureBytes);
      expect(pureImports.length).toBeGreaterThan(50);
      const missing = pureImports.filter((key) => !cgoImports.has(key));
      expect(missing).toEqual(Object.keys(RENAMED_BY_GO));
      for (const key of missing) expect(cgoImports).toContain(RENAMED_BY_GO[key]);
      expect(pure.minOs).toBe('12.0');
      expect(cgo.minOs).toBe(pure.minOs);
      expect(cgo.platform).toBe(1); // macOS
      expect(cgo.hasMain).toBe(true);
      if (goarch === 'arm64') {
        expect(codeSignatureMatches(cgoBytes, cgo)).toBe(true);
        const tampered = Buffer.from(cgoBytes);
        tampered[cgo.codeSignature!.offset - 1]! ^= 1;
        expect(codeSignatureMatches(tampered, cgo)).toBe(false);
      }
      // No debug map naming Go's temporary objects (darwin-no-stabs): the file is the same on every build.
      expect(cgoBytes.includes('/go-link-')).toBe(false);
    },
  );

  it("reads the imports of zig's links as llvm-objdump does", (context) => {
    if (cgoBuilds.size === 0)
      requireOrSkip(context, 'the darwin builds above did not run', 'see their skip reason');
    const objdump = needLlvmTool(context, 'llvm-objdump');
    for (const file of cgoBuilds.values()) {
      const imports = readMachoImports(readFileSync(file), readMacho(readFileSync(file)));
      expect(imports.map((entry) => `${dylibShortName(entry.library!)} ${entry.symbol}`).sort()).toEqual(
        llvmBoundSymbols(objdump, file),
      );
    }
  });

  it("C that includes a framework header fails with clang's error and one line on how to pass an SDK", async (context) => {
    const test = needTestZig(context);
    needGo(context);
    const toolchain = await provisionForTest(test, { target: 'darwin/arm64' }, { home });
    const env = {
      ...process.env,
      ZIG_GLOBAL_CACHE_DIR: testZigBuildCache(),
      ZIG_LOCAL_CACHE_DIR: testZigBuildCache(),
    };
    const compile = (name: string, text: string) => {
      // A line of its own: zig's cache must not answer for clang.
      const file = path.join(work, `${Math.random().toString(36).slice(2)}-${name}`);
      writeFileSync(file, `/* ${file} */\n${text}`);
      return run(toolchain.tools.cc!, ['-c', file, '-o', `${file}.o`], { env });
    };
    const hint = (header: string) =>
      `xcc: '${header}' is a framework header, and a darwin target without a macOS SDK has only libc's headers (and stubs of what Go itself imports): give xcc an SDK with --macos-sdk /path/to/MacOSX.sdk or SDKROOT\n`;
    for (const header of ['CoreFoundation/CoreFoundation.h', 'IOKit/IOKitLib.h', 'Security/Security.h']) {
      const failed = compile('framework.c', `#include <stdio.h>\n#include <${header}>\n`);
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain(`fatal error: '${header}' file not found`);
      expect(failed.stderr.endsWith(hint(header))).toBe(true);
    }
    // libc alone compiles, and other failures get zig's words only.
    expect(compile('libc.c', '#include <stdio.h>\nint f(void) { return puts("x"); }\n')).toMatchObject({
      status: 0,
      stderr: '',
    });
    for (const text of ['#include <openssl/ssl.h>\n', 'int f(void) { return undeclared; }\n']) {
      const failed = compile('other.c', text);
      expect(failed.status).toBe(1);
      expect(failed.stderr).not.toContain('xcc:');
    }
  });
});
