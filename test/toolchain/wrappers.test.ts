import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { XccError } from '../../src/errors.js';
import { quirksFor } from '../../src/toolchain/quirks.js';
import {
  goQuote,
  renderCmdWrapper,
  renderShWrapper,
  type WrapperSpec,
} from '../../src/toolchain/wrappers.js';
import { hasCommand } from '../support/tools.js';

/**
 * The renderer's own contract, for representative targets with their real entries of toolchains/quirks.json:
 * which arguments reach zig, in which order, for compile and link commands, and what an `answer` prints.
 * Each wrapper runs in real shells with /usr/bin/printf in place of zig, so what it prints is exactly the
 * argument list zig would get. (Hostile paths and values are test/reliability/shell-injection.test.ts.)
 */

const ZIG_VERSION = '0.15.2';
const root = mkdtempSync(path.join(os.tmpdir(), 'xcc-wrappers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** dash is /bin/sh on Debian and Ubuntu, bash in POSIX mode on most others; plain sh is whatever this machine has. */
const SHELLS = [['sh'], ['dash'], ['bash', '--posix']].filter(([shell]) => hasCommand(shell as string));

function spec(zigTarget: string, tool: 'cc' | 'c++', more: Partial<WrapperSpec> = {}): WrapperSpec {
  return {
    header: `${tool} for ${zigTarget}`,
    zig: '/usr/bin/printf',
    subcommand: ['%s\\n'],
    fixed: ['-target', zigTarget],
    quirks: quirksFor(ZIG_VERSION, zigTarget, tool),
    dir: '/wrappers/t',
    prefix: 'x-y-z',
    zigCache: '/cache/zig',
    ...more,
  };
}

let files = 0;
function write(text: string): string {
  const file = path.join(root, `wrapper-${files++}`);
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

/** The arguments the wrapper hands to "zig", one a line, in every shell (which must agree). */
function run(wrapper: WrapperSpec, args: string[]): string[] {
  const file = write(renderShWrapper(wrapper));
  const outputs = SHELLS.map(([shell, ...shellArgs]) => {
    const ran = spawnSync(shell as string, [...shellArgs, file, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(ran.stderr).toBe('');
    expect(ran.status).toBe(0);
    return ran.stdout;
  });
  expect(new Set(outputs).size).toBe(1);
  return (outputs[0] as string).split('\n').slice(0, -1);
}

describe('the sh wrapper, in real shells', () => {
  it('runs in at least dash or sh', () => {
    expect(SHELLS.length).toBeGreaterThan(0);
  });

  it('x86_64-linux-gnu: target flags, the add-for-every-command quirk, then the caller arguments as given', () => {
    expect(run(spec('x86_64-linux-gnu', 'cc'), ['-O2', '-c', 'a b.c', ''])).toEqual([
      '-target',
      'x86_64-linux-gnu',
      '-fno-sanitize=undefined',
      '-O2',
      '-c',
      'a b.c',
      '',
    ]);
  });

  it('the common path is one exec: no argument loop and no case when no quirk needs one', () => {
    const text = renderShWrapper({
      ...spec('x86_64-linux-gnu', 'cc'),
      quirks: quirksFor(ZIG_VERSION, 'x86_64-linux-gnu', 'cc').filter(
        (q) => q.action === 'add' && q.when === undefined,
      ),
    });
    const commands = text.split('\n').filter((line) => !line.startsWith('#'));
    expect(commands.join('\n')).not.toMatch(/\bfor\b|\bcase\b/);
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'exec /usr/bin/printf \'%s\\n\' -target x86_64-linux-gnu -fno-sanitize=undefined "$@"',
    );
  });

  it('aarch64-linux-musl: -fPIC added to every command', () => {
    expect(run(spec('aarch64-linux-musl', 'c++'), ['-c', 'x.cc'])).toEqual([
      '-target',
      'aarch64-linux-musl',
      '-fno-sanitize=undefined',
      '-fPIC',
      '-c',
      'x.cc',
    ]);
  });

  it('mipsel-linux-musleabihf: -mhard-float dropped wherever it is; --strip-debug put first only when linking', () => {
    const wrapper = spec('mipsel-linux-musleabihf', 'cc');
    const fixed = ['-target', 'mipsel-linux-musleabihf', '-fno-sanitize=undefined', '-fPIC'];
    for (const mode of ['-c', '-S', '-E']) {
      expect(run(wrapper, ['-mhard-float', mode, 'a.c', '-mhard-float'])).toEqual([...fixed, mode, 'a.c']);
    }
    expect(run(wrapper, ['-mhard-float', '-o', 'prog', 'a.o'])).toEqual([
      ...fixed,
      '-Wl,--strip-debug',
      '-lunwind',
      '-o',
      'prog',
      'a.o',
    ]);
    // Only the exact word is dropped, and an argument merely containing -c does not count as compiling.
    expect(run(wrapper, ['-mhard-float=x', '-cfoo', 'a.o'])).toEqual([
      ...fixed,
      '-Wl,--strip-debug',
      '-lunwind',
      '-mhard-float=x',
      '-cfoo',
      'a.o',
    ]);
  });

  it('x86_64-windows-gnu: -mwindows rewritten in place, the synch library added', () => {
    expect(run(spec('x86_64-windows-gnu', 'cc'), ['-a', '-mwindows', '-b'])).toEqual([
      '-target',
      'x86_64-windows-gnu',
      '-fno-sanitize=undefined',
      '-lapi-ms-win-core-synch-l1-2-0',
      '-lunwind',
      '-a',
      '-Wl,--subsystem,windows',
      '-b',
    ]);
  });

  it('answers -print-prog-name=ar in each spelling with the wrapper dir and prefix, and runs nothing', () => {
    const wrapper = { ...spec('x86_64-linux-gnu', 'cc'), zig: '/bin/false' };
    for (const args of [
      ['-print-prog-name=ar'],
      ['--print-prog-name=ar'],
      ['-O2', '--print-prog-name', 'ar'],
    ]) {
      expect(run(wrapper, args)).toEqual(['/wrappers/t/x-y-z-ar']);
    }
    // Not an answer: the same word as part of another argument (the wrapper then runs "zig", here false).
    const file = write(renderShWrapper(wrapper));
    expect(spawnSync('sh', [file, '-print-prog-name=arx']).status).toBe(1);
  });

  it('a trailing * in a quirk pattern matches a prefix, any other * is literal; a rewrite can give several words', () => {
    const wrapper = spec('x86_64-linux-gnu', 'cc', {
      quirks: [
        {
          id: 'drop-prefix',
          zig: '*',
          tools: ['cc'],
          action: 'drop',
          args: ['-march=*'],
          reason: '',
          evidence: '',
        },
        {
          id: 'split',
          zig: '*',
          tools: ['cc'],
          action: 'rewrite',
          args: ['-x*y'],
          to: ['one two', '$(three)'],
          reason: '',
          evidence: '',
        },
      ],
    });
    expect(run(wrapper, ['-march=native', '-x*y', '-xzzy', '-march'])).toEqual([
      '-target',
      'x86_64-linux-gnu',
      'one two',
      '$(three)',
      '-xzzy',
      '-march',
    ]);
  });

  it('writes the zig cache default as a plain assignment a caller value overrides, and the fixed environment', () => {
    const text = renderShWrapper(
      spec('aarch64-macos-none', 'cc', { zigCache: "/c/it's", env: { SDKROOT: '/sdk' } }),
    );
    expect(text.split('\n').slice(0, 7)).toEqual([
      '#!/bin/sh',
      '# cc for aarch64-macos-none',
      '# Written by xcc; rewritten when its inputs change, so do not edit.',
      `[ -n "\${ZIG_GLOBAL_CACHE_DIR-}" ] || ZIG_GLOBAL_CACHE_DIR='/c/it'\\''s'`,
      `[ -n "\${ZIG_LOCAL_CACHE_DIR-}" ] || ZIG_LOCAL_CACHE_DIR='/c/it'\\''s'`,
      'export ZIG_GLOBAL_CACHE_DIR ZIG_LOCAL_CACHE_DIR',
      'SDKROOT=/sdk; export SDKROOT',
    ]);
  });

  it('a line break in the header cannot start a command', () => {
    const marker = path.join(root, 'header-ran');
    const file = write(renderShWrapper(spec('x86_64-linux-gnu', 'cc', { header: `cc\ntouch ${marker}\n` })));
    spawnSync('sh', [file]);
    expect(spawnSync('test', ['-e', marker]).status).toBe(1);
  });
});

describe('a hint quirk: a line after zig fails for a missing header', () => {
  /**
   * A stand-in for zig that fails like clang does: it logs its arguments, and when one is `missing=NAME`
   * prints clang's fatal error for NAME on stderr and exits 1 (`status=N`: exits N without a word).
   */
  const fakeZig = write(
    [
      '#!/bin/sh',
      'printf \'%s \' "$@" >> "$ZIG_LOG"; echo >> "$ZIG_LOG"',
      'for arg do case $arg in',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a sh parameter expansion
      '  missing=*) printf "x.c:1:10: fatal error: \'%s\' file not found\\n1 error generated.\\n" "${arg#missing=}" >&2; exit 1 ;;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a sh parameter expansion
      '  status=*) exit "${arg#status=}" ;;',
      'esac; done',
      'echo compiled',
    ].join('\n'),
  );
  const hint: WrapperSpec['quirks'][number] = {
    id: 'test-hint',
    zig: '*',
    tools: ['cc'],
    action: 'hint',
    args: ['[A-Z]*/*', 'X11/*'],
    answer: "xcc: '{header}' needs {header}, so pass --x",
    reason: 'test',
    evidence: 'test',
  };
  const wrapper = write(
    renderShWrapper(spec('aarch64-macos-none', 'cc', { zig: fakeZig, subcommand: ['cc'], quirks: [hint] })),
  );

  function wrapped(args: string[]) {
    const log = path.join(root, `zig-log-${files++}`);
    writeFileSync(log, '');
    const results = SHELLS.map(([shell, ...shellArgs]) => {
      writeFileSync(log, '');
      const ran = spawnSync(shell as string, [...shellArgs, wrapper, ...args], {
        encoding: 'utf8',
        cwd: root,
        env: { PATH: process.env.PATH, ZIG_LOG: log },
      });
      return { status: ran.status, stdout: ran.stdout, stderr: ran.stderr, runs: readFileSync(log, 'utf8') };
    });
    expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
    return results[0]!;
  }

  it('a success runs zig once and adds nothing', () => {
    expect(wrapped(['-c', 'x.c'])).toEqual({
      status: 0,
      stdout: 'compiled\n',
      stderr: '',
      runs: 'cc -target aarch64-macos-none -c x.c \n',
    });
  });

  it("a missing header that matches: zig's error, then the hint naming it, exit 1", () => {
    const result = wrapped(['-c', 'x.c', 'missing=IOKit/IOKitLib.h']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "x.c:1:10: fatal error: 'IOKit/IOKitLib.h' file not found\n1 error generated.\nxcc: 'IOKit/IOKitLib.h' needs IOKit/IOKitLib.h, so pass --x\n",
    );
    // Run again preprocessing only, to read the error.
    expect(result.runs.split('\n')[1]).toBe(
      'cc -target aarch64-macos-none -c x.c missing=IOKit/IOKitLib.h -E -o /dev/null ',
    );
  });

  it("a header that matches no pattern, another error, or another exit status: zig's words and status alone", () => {
    const lowercase = wrapped(['-c', 'x.c', 'missing=openssl/ssl.h']);
    expect(lowercase.status).toBe(1);
    expect(lowercase.stderr).not.toContain('xcc:');
    const crashed = wrapped(['-c', 'x.c', 'status=134']);
    expect(crashed).toMatchObject({ status: 134, stderr: '' });
    expect(crashed.runs.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('a hostile header name is printed, never run', () => {
    const hostile = 'X11/$(touch pwned-hint)`touch pwned-hint2`"; *.h';
    const result = wrapped(['-c', 'x.c', `missing=${hostile}`]);
    expect(result.stderr).toContain(`xcc: '${hostile}' needs ${hostile}, so pass --x\n`);
    expect(existsSync(path.join(root, 'pwned-hint'))).toBe(false);
    expect(existsSync(path.join(root, 'pwned-hint2'))).toBe(false);
  });

  it('is not applied by the .cmd wrapper, and says so', () => {
    expect(renderCmdWrapper(spec('aarch64-macos-none', 'cc', { quirks: [hint] }))).toContain(
      'rem Not applied on Windows hosts: test-hint',
    );
  });
});

describe("the first-link mark: a successful link leaves it in zig's cache", () => {
  /** A stand-in for zig that logs each run and exits with `status=N` (0 without it). */
  const fakeZig = write(
    [
      '#!/bin/sh',
      'echo run >> "$ZIG_LOG"',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a sh parameter expansion
      'for arg do case $arg in status=*) exit "${arg#status=}" ;; esac; done',
    ].join('\n'),
  );
  const MARK = 'xcc-linked/0.15.2_riscv64-linux-musl_baseline_rv64';

  /** Runs the wrapper in each shell with a fresh zig cache; what each left behind must agree. */
  function wrapped(args: string[], options: { marked?: boolean; quirks?: WrapperSpec['quirks'] } = {}) {
    const wrapper = write(
      renderShWrapper(
        spec('riscv64-linux-musl', 'cc', {
          zig: fakeZig,
          subcommand: ['cc'],
          quirks: options.quirks ?? [],
          firstLinkMark: MARK,
        }),
      ),
    );
    const results = SHELLS.map(([shell, ...shellArgs]) => {
      const cache = mkdtempSync(path.join(root, 'zig-cache-'));
      if (options.marked) mkdirSync(path.join(cache, MARK), { recursive: true });
      const log = path.join(cache, 'log');
      const ran = spawnSync(shell as string, [...shellArgs, wrapper, ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ZIG_LOG: log, ZIG_GLOBAL_CACHE_DIR: cache },
      });
      return {
        status: ran.status,
        stderr: ran.stderr,
        runs: readFileSync(log, 'utf8').split('\n').length - 1,
        marked: existsSync(path.join(cache, MARK)),
      };
    });
    expect(new Set(results.map((result) => JSON.stringify(result))).size).toBe(1);
    return results[0]!;
  }

  it('a link that succeeds marks the cache; zig runs once', () => {
    expect(wrapped(['-o', 'prog', 'a.o', '-lpthread'])).toEqual({
      status: 0,
      stderr: '',
      runs: 1,
      marked: true,
    });
  });

  it("a compile, a preprocess, a query without -o and a failed link leave no mark, with zig's status", () => {
    expect(wrapped(['-c', 'a.c', '-o', 'a.o'])).toMatchObject({ status: 0, marked: false });
    expect(wrapped(['-E', '-o', '/dev/null', '-x', 'c', '-'])).toMatchObject({ status: 0, marked: false });
    expect(wrapped(['-S', 'a.c', '-o', 'a.s'])).toMatchObject({ status: 0, marked: false });
    expect(wrapped(['--version'])).toMatchObject({ status: 0, marked: false });
    expect(wrapped(['-o', 'prog', 'a.o', 'status=1'])).toEqual({
      status: 1,
      stderr: '',
      runs: 1,
      marked: false,
    });
    expect(wrapped(['-o', 'prog', 'a.o', 'status=134'])).toMatchObject({ status: 134, marked: false });
  });

  it("once marked, zig is exec'd as before", () => {
    const text = renderShWrapper(spec('riscv64-linux-musl', 'cc', { quirks: [], firstLinkMark: MARK }));
    expect(text).toContain(`[ -d "$ZIG_GLOBAL_CACHE_DIR/${MARK}" ] && exec /usr/bin/printf`);
    expect(wrapped(['-o', 'prog', 'a.o', 'status=3'], { marked: true })).toEqual({
      status: 3,
      stderr: '',
      runs: 1,
      marked: true,
    });
  });

  it('a mark that is not a plain relative path is refused (it lands in the script unquoted)', () => {
    for (const mark of ['../x', 'a/../b', 'a b', '$(id)', '/abs', 'a/.hidden'])
      expect(() => renderShWrapper(spec('riscv64-linux-musl', 'cc', { firstLinkMark: mark }))).toThrow(
        XccError,
      );
  });
});

describe('the .cmd wrapper for Windows hosts', () => {
  const text = renderCmdWrapper(
    spec('x86_64-windows-gnu', 'cc', {
      zig: 'C:\\Program Files\\zig\\zig.exe',
      subcommand: ['cc'],
      zigCache: 'C:\\cache\\100%',
      env: { SDKROOT: 'C:\\sdk' },
    }),
  );

  it('is CRLF text that sets the caches only when unset, and passes the caller arguments with %*', () => {
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replaceAll('\r\n', '')).not.toContain('\n');
    expect(text.split('\r\n')).toEqual([
      '@echo off',
      'rem cc for x86_64-windows-gnu',
      'rem Written by xcc; rewritten when its inputs change, so do not edit.',
      'rem Not applied on Windows hosts: windows-gui-subsystem, ar-program-name, c-unwind-library',
      'setlocal DisableDelayedExpansion',
      'if not defined ZIG_GLOBAL_CACHE_DIR set "ZIG_GLOBAL_CACHE_DIR=C:\\cache\\100%%"',
      'if not defined ZIG_LOCAL_CACHE_DIR set "ZIG_LOCAL_CACHE_DIR=C:\\cache\\100%%"',
      'set "SDKROOT=C:\\sdk"',
      '"C:\\Program Files\\zig\\zig.exe" cc -target x86_64-windows-gnu -fno-sanitize=undefined -lapi-ms-win-core-synch-l1-2-0 %*',
      '',
    ]);
  });

  it('has no "not applied" line when every quirk applies', () => {
    expect(renderCmdWrapper(spec('x86_64-linux-gnu', 'cc', { quirks: [] }))).not.toContain('Not applied');
  });

  it('refuses a value it cannot quote (a double quote or a line break) with one line', () => {
    for (const zigCache of ['C:\\a"b', 'C:\\a\nb']) {
      expect(() => renderCmdWrapper(spec('x86_64-windows-gnu', 'cc', { zigCache }))).toThrow(XccError);
    }
    expect(() => renderCmdWrapper(spec('x86_64-windows-gnu', 'cc', { zig: 'C:\\z"ig.exe' }))).toThrow(
      /^cannot write "C:\\\\z\\"ig.exe" into a .cmd wrapper \(quote or newline\); use a path without them \(XCC_HOME\)$/,
    );
  });
});

describe('CC as Go splits it (goQuote)', () => {
  it('leaves a plain path bare and quotes a path with spaces with the quote it does not contain', () => {
    expect(goQuote('/home/u/cc')).toBe('/home/u/cc');
    expect(goQuote('/Users/Jane Doe/cc')).toBe("'/Users/Jane Doe/cc'");
    expect(goQuote("/it's here/cc")).toBe(`"/it's here/cc"`);
    expect(goQuote("/it's/cc")).toBe(`"/it's/cc"`);
  });

  it('refuses a path with both quotes and says to move XCC_HOME', () => {
    expect(() => goQuote(`/a 'b" c/cc`)).toThrow(
      `Go cannot take /a 'b" c/cc as CC: it holds spaces and both kinds of quotes; set XCC_HOME to a directory without quotes`,
    );
  });
});
