import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { targetRequest } from '../../src/cli/target-options.js';
import { UsageError } from '../../src/errors.js';
import { readMacho } from '../../src/inspect/macho.js';
import { ensureDarwinStubs } from '../../src/toolchain/darwin-sdkless.js';
import { renderTbd } from '../../src/toolchain/darwin-stubs.js';
import { defaultMacosSdk, stubTargets, xcrunSdkPath } from '../../src/toolchain/macos-sdk.js';
import { run } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { fixturesDir } from '../support/paths.js';
import { needTestZig } from '../support/provided-zig.js';
import { testZigBuildCache } from '../support/test-zig.js';
import { mustRun, provisionForTest } from '../support/toolchains.js';
import { hasCommand, installHint, requireOrSkip } from '../support/tools.js';
import { startZigSources } from '../support/zig-mirror.js';

/**
 * A macOS SDK for darwin targets, with SDK-shaped directories built here (Apple's SDK cannot be shipped):
 * what zig 0.15.2 searches of one (nothing it is not told: not SDKROOT, and --sysroot only prefixes -L),
 * that the wrappers make it search the SDK's headers, frameworks and libraries (a plain C link and a cgo
 * go build), and the SDKs refused with one line: not an SDK, one clang would warn about under cgo's
 * -Werror, and one too new for the Zig. The CLI's cases (flag, SDKROOT, warm and empty cache) are in
 * test/reliability/bad-input.test.ts.
 */

/** SDKSettings.json as Xcode writes it, with the two keys clang needs. */
const SETTINGS = '{"CanonicalName":"macosx15.2","Version":"15.2","MaximumDeploymentTarget":"15.2.99"}\n';
const FOO = '/System/Library/Frameworks/Foo.framework/Versions/A/Foo';
const LIBSDK = '/usr/lib/libsdk.dylib';

let work: string;
let home: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'xcc-sdk-'));
  home = await mkdtemp(path.join(os.tmpdir(), 'xcc-sdk-home-'));
});

/** A directory `name` holding `files` (relative path: text, null: absent), SDKSettings.json unless told. */
function sdkDir(name: string, files: Record<string, string | null> = {}): string {
  const dir = path.join(work, `${Math.random().toString(36).slice(2)}`, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries({ 'SDKSettings.json': SETTINGS, ...files })) {
    if (text === null) continue;
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** An SDK with a header and a library in usr/, and a framework Foo with a header and its stub. */
const FOO_SDK: Record<string, string> = {
  'usr/include/sdklib.h': 'int sdk_lib_fn(void);\n',
  'usr/lib/libsdk.tbd': renderTbd(LIBSDK, ['sdk_lib_fn']),
  'System/Library/Frameworks/Foo.framework/Headers/Foo.h': 'int foo_fn(void);\n',
  'System/Library/Frameworks/Foo.framework/Foo.tbd': renderTbd(FOO, ['foo_fn']),
};

const MAIN_C =
  '#include <stdio.h>\n#include <sdklib.h>\n#include <Foo/Foo.h>\nint main(void) { printf("%d\\n", sdk_lib_fn() + foo_fn()); return 0; }\n';

function zigEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { SDKROOT: _, ...env } = process.env;
  return {
    ...env,
    ZIG_GLOBAL_CACHE_DIR: testZigBuildCache(),
    ZIG_LOCAL_CACHE_DIR: testZigBuildCache(),
    ...extra,
  };
}

/** A C file with a line of its own, so that zig's cache cannot answer for clang. */
function freshSource(name: string, text: string): string {
  const file = path.join(work, `${Math.random().toString(36).slice(2)}-${name}`);
  writeFileSync(file, `/* ${file} */\n${text}`);
  return file;
}

function needGo(context: Parameters<typeof needTestZig>[0]): void {
  if (!hasCommand('go')) requireOrSkip(context, 'go is not installed', installHint('go'));
}

describe('what zig 0.15.2 searches of an SDK on its own', { timeout: 300_000 }, () => {
  it('nothing through SDKROOT or --sysroot, and --sysroot moves an absolute -L inside the SDK', (context) => {
    const test = needTestZig(context);
    const sdk = sdkDir('MacOSX15.sdk', FOO_SDK);
    const main = freshSource('main.c', MAIN_C);
    const zig = (args: string[], env?: Record<string, string>) =>
      run(test.install.zig, ['cc', '-target', 'aarch64-macos.12.0-none', ...args], { env: zigEnv(env) });
    const compiled = zig(['-c', main, '-o', path.join(work, 'main.o')], { SDKROOT: sdk });
    expect(compiled.stderr).toContain("'sdklib.h' file not found");
    const object = path.join(work, 'plain.o');
    mustRun(
      test.install.zig,
      [
        'cc',
        '-target',
        'aarch64-macos.12.0-none',
        '-c',
        freshSource('plain.c', 'int main(void) { return 0; }\n'),
        '-o',
        object,
      ],
      { env: zigEnv() },
    );
    const linked = zig([object, '-lsdk'], { SDKROOT: sdk });
    expect(linked.stderr).toContain("unable to find dynamic system library 'sdk'");
    const framework = zig([object, '-framework', 'Foo'], { SDKROOT: sdk });
    expect(framework.stderr).toContain("unable to find framework 'Foo'");
    const sysroot = zig([`--sysroot=${sdk}`, '-c', main, '-o', path.join(work, 'main.o')]);
    expect(sysroot.stderr).toContain("'sdklib.h' file not found");
    const mine = path.join(work, 'mine');
    const prefixed = zig([`--sysroot=${sdk}`, main, `-L${mine}`, '-lmine']);
    expect(prefixed.stderr).toContain(`${sdk}${mine}`);
  });
});

describe('the macOS SDK of a darwin target', { timeout: 300_000 }, () => {
  it.for(['SDKSettings.json', 'SDKSettings.plist'])('is taken when it holds %s', async (file, context) => {
    const test = needTestZig(context);
    const macosSdk = sdkDir(
      'MacOSX15.sdk',
      file === 'SDKSettings.json' ? {} : { 'SDKSettings.json': null, [file]: '<plist/>\n' },
    );
    const toolchain = await provisionForTest(test, { target: 'darwin/arm64', macosSdk }, { home });
    expect(toolchain.env.SDKROOT).toBe(macosSdk);
  });

  it('is searched by the wrappers: headers, a framework and a library, beside a -L of the caller', async (context) => {
    const test = needTestZig(context);
    const sdk = sdkDir('MacOSX15.sdk', FOO_SDK);
    const toolchain = await provisionForTest(test, { target: 'darwin/arm64', macosSdk: sdk }, { home });
    const cc = toolchain.tools.cc!;
    const object = path.join(work, 'sdk-main.o');
    mustRun(cc, ['-c', freshSource('main.c', MAIN_C), '-o', object], { env: zigEnv() });
    // A library of the caller's by absolute path still links: the SDK is not a --sysroot.
    const mine = path.join(work, 'mine');
    mkdirSync(mine, { recursive: true });
    writeFileSync(path.join(mine, 'libmine.tbd'), renderTbd('/usr/local/lib/libmine.dylib', ['mine_fn']));
    const program = path.join(work, 'sdk-main');
    mustRun(cc, [object, '-framework', 'Foo', '-lsdk', `-L${mine}`, '-lmine', '-o', program], {
      env: zigEnv(),
    });
    const macho = readMacho(readFileSync(program));
    expect(macho.dylibs).toEqual(expect.arrayContaining([FOO, LIBSDK, '/usr/local/lib/libmine.dylib']));
    expect(macho.minOs).toBe('12.0');

    // The same program with the toolchain that has no SDK.
    const sdkless = await provisionForTest(test, { target: 'darwin/arm64' }, { home });
    const without = run(sdkless.tools.cc!, ['-c', freshSource('main.c', MAIN_C), '-o', object], {
      env: zigEnv(),
    });
    expect(without.status).toBe(1);
    expect(without.stderr).toContain("'sdklib.h' file not found");
  });

  it('is searched by go build: a cgo program using its framework and library, and what Go links itself', {
    timeout: 900_000,
  }, async (context) => {
    const test = needTestZig(context);
    needGo(context);
    // Go's own imports (CoreFoundation, Security, libresolv) laid out where an SDK has them.
    const stubs = await ensureDarwinStubs({ home, env: process.env });
    const sdk = sdkDir('MacOSX15.sdk', FOO_SDK);
    for (const [installName, file] of Object.entries(stubs.stubs)) {
      const into = installName.startsWith('/System/') ? 'System/Library/Frameworks' : 'usr/lib';
      mkdirSync(path.dirname(path.join(sdk, into, file)), { recursive: true });
      cpSync(path.join(stubs.dir, file), path.join(sdk, into, file));
    }
    const source = path.join(work, 'cgo-sdk');
    cpSync(path.join(fixturesDir, 'darwin-cgo'), source, { recursive: true });
    writeFileSync(
      path.join(source, 'sdk.go'),
      '//go:build cgo\n\npackage main\n\n/*\n#cgo LDFLAGS: -framework Foo -lsdk\n#include <Foo/Foo.h>\n#include <sdklib.h>\n*/\nimport "C"\n\nvar fromSdk = func() int { return int(C.foo_fn() + C.sdk_lib_fn()) }\n',
    );
    const build = (toolchain: { env: Record<string, string> }, output: string) =>
      run('go', ['build', '-o', output, '.'], {
        cwd: source,
        env: { ...zigEnv(), ...toolchain.env, GOFLAGS: '-trimpath' },
      });

    const withSdk = await provisionForTest(test, { target: 'darwin/arm64', macosSdk: sdk }, { home });
    const output = path.join(work, 'cgo-sdk-arm64');
    const built = build(withSdk, output);
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    const macho = readMacho(readFileSync(output));
    expect([...macho.dylibs].sort()).toEqual(
      [
        FOO,
        LIBSDK,
        '/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation',
        '/System/Library/Frameworks/Security.framework/Versions/A/Security',
        '/usr/lib/libSystem.B.dylib',
        '/usr/lib/libresolv.9.dylib',
      ].sort(),
    );
    expect(macho.minOs).toBe('12.0');

    // Without the SDK the framework's header is missing, and the wrapper says what to do.
    const sdkless = await provisionForTest(test, { target: 'darwin/arm64' }, { home });
    const failed = build(sdkless, path.join(work, 'cgo-nosdk-arm64'));
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain("fatal error: 'Foo/Foo.h' file not found");
    expect(failed.stderr).toMatch(
      /^xcc: 'Foo\/Foo\.h' is a framework header, .* --macos-sdk \/path\/to\/MacOSX\.sdk or SDKROOT$/m,
    );
  });
});

describe('an SDK refused with one line (exit 2)', { timeout: 300_000 }, () => {
  it.for<[string, () => string, RegExp]>([
    ['a path that does not exist', () => path.join(work, 'no.sdk'), /^the macOS SDK \S+ does not exist;/],
    [
      'a directory without SDKSettings',
      () => sdkDir('MacOSX15.sdk', { 'SDKSettings.json': null }),
      /^the macOS SDK \S+ is not one: it has no SDKSettings\.json;/,
    ],
    [
      'SDKSettings.json without the keys clang reads',
      () => sdkDir('MacOSX15.sdk', { 'SDKSettings.json': '{}\n' }),
      /^the macOS SDK \S+ has an SDKSettings\.json without a Version and a MaximumDeploymentTarget, .*-Wdarwin-sdk-settings/,
    ],
    [
      "a directory named for another platform's SDK",
      () => sdkDir('iPhoneOS.sdk'),
      /^the macOS SDK \S+ is in a directory named iPhoneOS\.sdk, .*-Wincompatible-sysroot.*; if it is a macOS SDK, name that directory MacOSX<version>\.sdk/,
    ],
    [
      'a line break in its path',
      () => sdkDir('MacOSX\n15.sdk'),
      /^the macOS SDK ".*\\n15\.sdk" has a line break in its path, where zig cannot read headers;/,
    ],
  ])('%s', async ([, make, message], context) => {
    const test = needTestZig(context);
    const provisioned = provisionForTest(test, { target: 'darwin/arm64', macosSdk: make() }, { home });
    await expect(provisioned).rejects.toBeInstanceOf(UsageError);
    await expect(provisioned).rejects.toThrow(message);
    const error = await provisioned.then(
      () => undefined,
      (caught: Error) => caught,
    );
    expect(error?.message.split('\n')).toHaveLength(1);
  });

  it('the two SDKs clang warns about fail a -Werror compile with zig alone, as the checks say', (context) => {
    const test = needTestZig(context);
    const compile = (sdk: string) =>
      run(
        test.install.zig,
        ['cc', '-target', 'aarch64-macos.12.0-none', '-Werror', '-c', freshSource('t.c', 'int t(void);\n')],
        { env: zigEnv({ SDKROOT: sdk }), cwd: work },
      );
    expect(compile(sdkDir('MacOSX15.sdk', { 'SDKSettings.json': '{}\n' })).stderr).toContain(
      '-Werror,-Wdarwin-sdk-settings',
    );
    expect(compile(sdkDir('iPhoneOS.sdk')).stderr).toContain('-Werror,-Wincompatible-sysroot');
    expect(compile(sdkDir('MacOSX15.sdk')).status).toBe(0);
  });
});

describe('an SDK too new for the Zig in use', { timeout: 300_000 }, () => {
  const arm64eOnly = renderTbd('/usr/lib/libSystem.B.dylib', ['printf']).replaceAll(
    'arm64-macos',
    'arm64e-macos',
  );
  const jsonStub = `${JSON.stringify({
    tapi_tbd_version: 5,
    main_library: {
      target_info: [{ target: 'arm64-macos' }, { target: 'x86_64-macos' }],
      install_names: [{ name: FOO }],
      exported_symbols: [{ text: { global: ['_foo_fn'] } }],
    },
  })}\n`;

  it('reads the targets of a stub, v4 and v3', () => {
    expect(stubTargets(arm64eOnly)).toEqual(['x86_64-macos', 'arm64e-macos']);
    expect(stubTargets('--- !tapi-tbd-v3\narchs:           [ x86_64, arm64e ]\nplatform: macos\n')).toEqual([
      'x86_64-macos',
      'arm64e-macos',
    ]);
  });

  it('an arm64e-only libSystem: refused for darwin/arm64 with what to do, taken for darwin/amd64', async (context) => {
    const test = needTestZig(context);
    const sdk = sdkDir('MacOSX26.4.sdk', { 'usr/lib/libSystem.tbd': arm64eOnly });
    const arm64 = provisionForTest(test, { target: 'darwin/arm64', macosSdk: sdk }, { home });
    await expect(arm64).rejects.toBeInstanceOf(UsageError);
    await expect(arm64).rejects.toThrow(
      /^the macOS SDK \S+ is too new for Zig 0\.15\.2: usr\/lib\/libSystem\.tbd lists arm64e but not arm64, .*; use an older SDK \(set macosSdk to \/path\/to\/MacOSX\.sdk\) or Zig 0\.16\.0 or newer \(--zig 0\.16\.0\)$/,
    );
    const amd64 = await provisionForTest(test, { target: 'darwin/amd64', macosSdk: sdk }, { home });
    expect(amd64.env.SDKROOT).toBe(sdk);
  });

  it('a text-based stub v5 (JSON): refused for both architectures', async (context) => {
    const test = needTestZig(context);
    const sdk = sdkDir('MacOSX99.sdk', {
      'System/Library/Frameworks/CoreFoundation.framework/CoreFoundation.tbd': jsonStub,
    });
    for (const target of ['darwin/arm64', 'darwin/amd64']) {
      await expect(provisionForTest(test, { target, macosSdk: sdk }, { home })).rejects.toThrow(
        /^the macOS SDK \S+ is too new for Zig 0\.15\.2: System\/Library\/Frameworks\/CoreFoundation\.framework\/CoreFoundation\.tbd is a text-based stub v5 \(JSON\), which zig cannot read;/,
      );
    }
  });

  it('what the check stands for: zig 0.15.2 links arm64 against neither', { timeout: 600_000 }, (context) => {
    const test = needTestZig(context);
    const object = path.join(work, 'foo-user.o');
    const env = zigEnv();
    const triple = 'aarch64-macos.12.0-none';
    mustRun(
      test.install.zig,
      [
        'cc',
        '-target',
        triple,
        '-c',
        freshSource('f.c', 'int foo_fn(void);\nint main(void) { return foo_fn(); }\n'),
        '-o',
        object,
      ],
      { env },
    );
    const link = (stub: string) => {
      const frameworks = sdkDir('MacOSX.sdk', { 'Foo.framework/Foo.tbd': stub });
      return run(
        test.install.zig,
        ['cc', '-target', triple, object, `-F${frameworks}`, '-framework', 'Foo'],
        {
          env,
          cwd: work,
        },
      );
    };
    expect(link(renderTbd(FOO, ['foo_fn'])).status).toBe(0);
    expect(link(renderTbd(FOO, ['foo_fn']).replaceAll('arm64-macos', 'arm64e-macos')).stderr).toContain(
      'undefined symbol: _foo_fn',
    );
    expect(link(jsonStub).stderr).toContain('failed to parse TBD file');
  });
});

describe('where the SDK comes from when none is passed', () => {
  const mac = (sdk: string | undefined) => ({ platform: 'darwin' as const, xcrunSdkPath: () => sdk });
  const never = {
    platform: 'darwin' as const,
    xcrunSdkPath: (): string | undefined => {
      throw new Error('xcrun was run');
    },
  };

  it('SDKROOT, else on a Mac what xcrun shows, else none; only for darwin targets', () => {
    expect(defaultMacosSdk({ SDKROOT: '/sdks/env.sdk' }, never)).toBe('/sdks/env.sdk');
    expect(defaultMacosSdk({}, mac('/Library/SDKs/MacOSX.sdk'))).toBe('/Library/SDKs/MacOSX.sdk');
    expect(defaultMacosSdk({}, mac(undefined))).toBeUndefined();
    expect(defaultMacosSdk({}, { platform: 'linux', xcrunSdkPath: never.xcrunSdkPath })).toBeUndefined();
    expect(targetRequest('darwin/arm64', {}, {}, mac('/x/MacOSX.sdk')).macosSdk).toBe('/x/MacOSX.sdk');
    expect(targetRequest('darwin/arm64', { macosSdk: ['/flag.sdk'] }, {}, never).macosSdk).toBe('/flag.sdk');
    expect(targetRequest('linux/arm64', {}, {}, never).macosSdk).toBeUndefined();
  });

  it('xcrun --show-sdk-path is run, and a failing one is no SDK', () => {
    const bin = path.join(work, 'xcrun-bin');
    mkdirSync(bin, { recursive: true });
    const xcrun = path.join(bin, 'xcrun');
    writeFileSync(
      xcrun,
      '#!/bin/sh\n[ "$*" = "--sdk macosx --show-sdk-path" ] || exit 1\necho "/Applications/Xcode app/MacOSX.sdk"\n',
    );
    chmodSync(xcrun, 0o755);
    expect(xcrunSdkPath({ PATH: bin })).toBe('/Applications/Xcode app/MacOSX.sdk');
    writeFileSync(xcrun, '#!/bin/sh\necho "xcrun: error: unable to find sdk" >&2\nexit 1\n');
    expect(xcrunSdkPath({ PATH: bin })).toBeUndefined();
    expect(xcrunSdkPath({ PATH: path.join(work, 'nowhere') })).toBeUndefined();
  });
});

describe('a warm xcc env', () => {
  it('does not serve a toolchain written for another SDK, or for none', {
    timeout: 600_000,
  }, async (context) => {
    const test = needTestZig(context);
    needGo(context);
    const sources = await startZigSources(test, testZigBuildCache());
    try {
      const env = {
        ...sources.userEnv(await mkdtemp(path.join(os.tmpdir(), 'xcc-sdk-warm-'))),
        SDKROOT: '',
      };
      const xccEnv = async (args: string[]) => {
        const printed = await runXcc(['env', 'darwin/arm64', ...args, '--format', 'json', '--quiet'], {
          env,
        });
        expect(printed.stderr).toBe('');
        return JSON.parse(printed.stdout) as Record<string, string>;
      };
      const [first, second] = [sdkDir('MacOSX15.sdk'), sdkDir('MacOSX14.sdk')];
      expect((await xccEnv(['--macos-sdk', first])).SDKROOT).toBe(first);
      const other = await xccEnv(['--macos-sdk', second]);
      expect(other.SDKROOT).toBe(second);
      expect(readFileSync(other.CC!, 'utf8')).toContain(`-L${second}/usr/lib`);
      const none = await xccEnv([]);
      expect(none.SDKROOT).toBeUndefined();
      expect(readFileSync(none.CC!, 'utf8')).toContain('darwin-stubs');
      // And back, now warm for both.
      expect((await xccEnv(['--macos-sdk', second])).CC).toBe(other.CC);
    } finally {
      await sources.close();
    }
  });
});
