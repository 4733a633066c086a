import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildConstraintAllows,
  collectDarwinImports,
  dynamicImports,
  fileNameMatches,
  type GoSourceFile,
  goMinimumMacos,
  isLinkableSource,
  type KnownPorts,
  parseKnownPorts,
  renderTbd,
  stubFile,
  ZIG_SHIPPED_LIBRARY,
} from '../../src/toolchain/darwin-stubs.js';
import { needTestZig } from '../support/provided-zig.js';
import { mustRun } from '../support/toolchains.js';
import { hasCommand, installHint, requireOrSkip } from '../support/tools.js';

/**
 * The stub generator over Go source text: which files count for darwin/GOARCH, which imports they
 * declare, where each stub lies and what it says. The last tests read the real GOROOT of the Go on PATH
 * and the test Zig's libSystem.tbd.
 */

const ports: KnownPorts = {
  os: new Set(['darwin', 'ios', 'linux', 'windows', 'freebsd']),
  arch: new Set(['amd64', 'arm64', '386', 'riscv64']),
  unix: new Set(['darwin', 'ios', 'linux', 'freebsd']),
};

const CF = '/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation';

describe('which files count for darwin', () => {
  it.for<[string, string, boolean]>([
    ['sys_darwin.go', 'arm64', true],
    ['sys_darwin_arm64.go', 'arm64', true],
    ['sys_darwin_arm64.go', 'amd64', false],
    ['sys_linux.go', 'arm64', false],
    ['sys_ios.go', 'arm64', false],
    ['sys_amd64.go', 'arm64', false],
    ['sys_amd64.go', 'amd64', true],
    ['darwin.go', 'arm64', true], // the part before the first underscore is no constraint
    ['corefoundation.go', 'arm64', true],
    ['net_darwin_test.go', 'arm64', true], // by name; tests are dropped by isLinkableSource
    ['x_linux_arm64.go', 'arm64', false],
  ])('%s for darwin/%s: %s', ([name, goarch, expected]) => {
    expect(fileNameMatches(name, goarch, ports)).toBe(expected);
  });

  it.for<[string, string, boolean]>([
    ['darwin', 'arm64', true],
    ['darwin && arm64', 'amd64', false],
    ['unix && !ios', 'arm64', true],
    ['linux || windows', 'arm64', false],
    ['!darwin', 'arm64', false],
    ['race', 'arm64', true], // may hold: counted
    ['darwin && !race', 'arm64', true],
    ['linux && race', 'arm64', false],
    ['(darwin || ios) && (amd64 || arm64)', 'amd64', true],
    ['goexperiment.foo || linux', 'arm64', true],
    ['!(darwin && arm64)', 'arm64', false],
  ])('//go:build %s for darwin/%s: %s', ([expression, goarch, expected]) => {
    const source = `// Copyright\n\n//go:build ${expression}\n\npackage x\n`;
    expect(buildConstraintAllows(source, goarch, ports)).toBe(expected);
  });

  it('reads no constraint after the package clause', () => {
    expect(buildConstraintAllows('package x\n\n//go:build linux\n', 'arm64', ports)).toBe(true);
  });

  it.for<[string, boolean]>([
    ['runtime/sys_darwin.go', true],
    ['vendor/golang.org/x/sys/cpu/syscall_darwin_x86_gc.go', true],
    ['cmd/vendor/golang.org/x/sys/unix/syscall_darwin.go', false],
    ['net/testdata/x.go', false],
    ['net/net_test.go', false],
    ['net/_x.go', false],
    ['net/README', false],
  ])('%s can be linked into a program: %s', ([file, expected]) => {
    expect(isLinkableSource(file)).toBe(expected);
  });
});

describe('dynamic imports', () => {
  it('reads the symbol and install name of each directive, skipping those that name no symbol or library', () => {
    const source = [
      'package macos',
      `//go:cgo_import_dynamic x509_CFArrayGetCount CFArrayGetCount "${CF}"`,
      '//go:cgo_import_dynamic libc_fdopendir fdopendir "/usr/lib/libSystem.B.dylib"',
      '//go:cgo_import_dynamic _ _ "/usr/lib/libSystem.B.dylib"',
      '//go:cgo_import_dynamic _NSGetArgv _NSGetArgv ""',
      '// //go:cgo_import_dynamic not at the start of a line',
    ].join('\n');
    expect(dynamicImports(source)).toEqual([
      { symbol: 'CFArrayGetCount', library: CF },
      { symbol: 'fdopendir', library: '/usr/lib/libSystem.B.dylib' },
    ]);
  });

  it('groups the imports of the files that count by install name, sorted and without repeats', () => {
    const files: GoSourceFile[] = [
      {
        path: 'a/x_darwin.go',
        text: `//go:cgo_import_dynamic b B "${CF}"\n//go:cgo_import_dynamic a A "${CF}"\n`,
      },
      {
        path: 'a/y_darwin_arm64.go',
        text: `//go:cgo_import_dynamic c C "${CF}"\n//go:cgo_import_dynamic a A "${CF}"\n`,
      },
      { path: 'a/z_linux.go', text: '//go:cgo_import_dynamic d D "libc.so.6"\n' },
      {
        path: 'a/w.go',
        text: `//go:build windows\n\npackage a\n//go:cgo_import_dynamic e E "kernel32.dll"\n`,
      },
      { path: 'cmd/v_darwin.go', text: `//go:cgo_import_dynamic f F "${CF}"\n` },
    ];
    expect(collectDarwinImports(files, 'arm64', ports)).toEqual(new Map([[CF, ['A', 'B', 'C']]]));
    expect(collectDarwinImports(files, 'amd64', ports)).toEqual(new Map([[CF, ['A', 'B']]]));
  });
});

describe('stubs', () => {
  it.for<[string, string | undefined]>([
    [CF, 'CoreFoundation.framework/CoreFoundation.tbd'],
    ['/System/Library/Frameworks/Security.framework/Versions/A/Security', 'Security.framework/Security.tbd'],
    ['/System/Library/Frameworks/Foo.framework/Foo', 'Foo.framework/Foo.tbd'],
    ['/usr/lib/libresolv.9.dylib', 'libresolv.tbd'],
    ['/usr/lib/libc++.1.dylib', 'libc++.tbd'],
    ['/usr/lib/libz.dylib', 'libz.tbd'],
    ['/System/Library/Frameworks/A.framework/Versions/A/B', undefined],
    ['/usr/lib/../../etc/libx.dylib', undefined],
    ['libc.so', undefined],
  ])('%s lies at %s', ([installName, expected]) => {
    expect(stubFile(installName)).toBe(expected);
  });

  it('renders a tbd v4 document for both darwin architectures, quoting what YAML would not take bare', () => {
    expect(renderTbd('/usr/lib/libresolv.9.dylib', ['res_9_nclose', 'fdopendir$INODE64'])).toBe(
      [
        '--- !tapi-tbd',
        'tbd-version:     4',
        'targets:         [ x86_64-macos, arm64-macos ]',
        "install-name:    '/usr/lib/libresolv.9.dylib'",
        'exports:',
        '  - targets:         [ x86_64-macos, arm64-macos ]',
        "    symbols:         [ _res_9_nclose, '_fdopendir$INODE64' ]",
        '...',
        '',
      ].join('\n'),
    );
  });

  it("takes the minimum macOS from the line of Go's linker that writes it", () => {
    expect(goMinimumMacos('\t\t\t\tversion = 12<<16 | 0<<8 | 0<<0 // 12.0.0\n')).toBe('12.0');
    expect(goMinimumMacos('version = 11<<16 | 3<<8 | 1<<0')).toBe('11.3.1');
    expect(goMinimumMacos('no such line')).toBeUndefined();
  });
});

/** The exported symbols of each target in a (multi-document) tbd file, zig's libSystem.tbd included. */
function tbdExports(text: string): Map<string, Set<string>> {
  const byTarget = new Map<string, Set<string>>();
  // Each `- targets: [...]` block of an exports or reexports list, then its symbol lists up to the next block.
  const blocks = text.split(/\n\s*- targets:\s*/).slice(1);
  for (const block of blocks) {
    const targets =
      /^\[([^\]]*)\]/
        .exec(block)?.[1]
        ?.split(',')
        .map((name) => name.trim()) ?? [];
    const symbols = [...block.matchAll(/(?:^|\n)\s+(?:symbols|weak-symbols):\s*\[([^\]]*)\]/g)].flatMap(
      (match) => match[1]!.split(',').map((name) => name.trim().replace(/^'(.*)'$/, '$1')),
    );
    for (const target of targets) {
      const set = byTarget.get(target) ?? new Set<string>();
      for (const symbol of symbols) set.add(symbol);
      byTarget.set(target, set);
    }
  }
  return byTarget;
}

describe('the real GOROOT and zig', () => {
  const goroot = (context: Parameters<typeof needTestZig>[0]): string => {
    if (!hasCommand('go')) requireOrSkip(context, 'go is not installed', installHint('go'));
    return mustRun('go', ['env', 'GOROOT']).trim();
  };

  function sources(root: string): GoSourceFile[] {
    const files: GoSourceFile[] = [];
    const walk = (relative: string) => {
      for (const entry of readdirSync(path.join(root, 'src', relative), { withFileTypes: true })) {
        const child = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (child !== 'cmd') walk(child);
        } else if (child.endsWith('.go'))
          files.push({ path: child, text: readFileSync(path.join(root, 'src', child), 'utf8') });
      }
    };
    walk('');
    return files;
  }

  it.for(['amd64', 'arm64'])(
    "darwin/%s imports from libSystem, CoreFoundation, Security and libresolv, and zig's libSystem.tbd exports all it needs from libSystem",
    (goarch, context) => {
      const root = goroot(context);
      const test = needTestZig(context);
      const known = parseKnownPorts(readFileSync(path.join(root, 'src/internal/syslist/syslist.go'), 'utf8'));
      expect(known.os.has('darwin') && known.arch.has(goarch) && known.unix.has('darwin')).toBe(true);
      const imports = collectDarwinImports(sources(root), goarch, known);
      expect([...imports.keys()]).toEqual([
        CF,
        '/System/Library/Frameworks/Security.framework/Versions/A/Security',
        '/usr/lib/libSystem.B.dylib',
        '/usr/lib/libresolv.9.dylib',
      ]);
      expect(imports.get(CF)).toContain('CFArrayGetCount');
      expect(imports.get('/usr/lib/libresolv.9.dylib')).toContain('res_9_nsearch');

      const tbd = readFileSync(
        path.join(path.dirname(test.install.zig), 'lib/libc/darwin/libSystem.tbd'),
        'utf8',
      );
      const exported = tbdExports(tbd).get(goarch === 'arm64' ? 'arm64-macos' : 'x86_64-macos')!;
      // Go's linker renames three libSystem imports on amd64 (cmd/link machoShouldExport: $INODE64).
      const renamed = new Set(['fdopendir', 'readdir_r', 'getfsstat']);
      const missing = imports
        .get(ZIG_SHIPPED_LIBRARY)!
        .filter(
          (symbol) =>
            !exported.has(`_${symbol}${goarch === 'amd64' && renamed.has(symbol) ? '$INODE64' : ''}`),
        );
      expect(missing).toEqual([]);
    },
  );

  it("finds Go 1.26's minimum macOS, 12.0, in its linker", (context) => {
    const root = goroot(context);
    const version = mustRun('go', ['env', 'GOVERSION']).trim();
    if (!version.startsWith('go1.26')) context.skip(`Go ${version} is not 1.26`);
    expect(goMinimumMacos(readFileSync(path.join(root, 'src/cmd/link/internal/ld/macho.go'), 'utf8'))).toBe(
      '12.0',
    );
  });
});
