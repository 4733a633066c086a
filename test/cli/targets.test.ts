import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTargetSpecs } from '../../src/cli/target-spec.js';
import { cliBin } from '../support/paths.js';
import { needYaml, parseYaml } from '../support/yaml.js';

function xcc(args: string[], env: Record<string, string> = {}, cwd?: string) {
  const result = spawnSync(process.execPath, [cliBin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd,
  });
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('xcc targets (list)', () => {
  it('prints every Go port as an aligned table', () => {
    const { exitCode, stdout, stderr } = xcc(['targets']);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    const lines = stdout.split('\n');
    const header = lines[0]!;
    expect(header).toMatch(/^PORT +LIBC +ZIG TARGET +TIER +WHY$/);
    const columns = ['LIBC', 'ZIG TARGET', 'TIER', 'WHY'].map((name) => header.indexOf(name));
    const rows = lines.slice(1).filter((line) => /^\S+\/\S+ /.test(line));
    expect(rows).toHaveLength(47 + 12); // every Go port, plus a glibc row for each Linux port with cgo
    for (const row of rows) {
      for (const column of columns) expect(row.slice(column - 2, column + 1)).toMatch(/^ {2}\S$/);
    }
    expect(stdout).toMatch(
      /^linux\/arm64 +musl \(default\) +aarch64-linux-musl +(builds +zig 0\.15\.2 compiles and links C|proven +end-to-end suite)/m,
    );
    expect(stdout).toMatch(/^linux\/arm +glibc +arm-linux-gnueabihf\.2\.28 +builds /m);
    expect(stdout).toMatch(
      /^darwin\/arm64 +system +aarch64-macos-none +links +end-to-end suite \(darwin\/arm64\): cgo C and C\+\+/m,
    );
    expect(stdout).toMatch(/^windows\/amd64 +mingw +x86_64-windows-gnu +(builds|proven) /m);
    expect(stdout).toMatch(/^linux\/ppc64 +- +- +unsupported +Go has no cgo for this port/m);
    expect(stdout).toMatch(
      /^openbsd\/amd64 +system +- +unsupported +zig 0\.15\.2 cannot provide libc for openbsd\/amd64; use zig 0\.16\.0 or newer$/m,
    );
    expect(stdout).toMatch(/Target names for zig 0\.15\.2\./);
    for (const row of rows) expect(row.slice(columns[2])).toMatch(/^(proven|links|builds|unsupported) /);
  });

  it('prints JSON with --json, one entry per Go port', () => {
    const { exitCode, stdout, stderr } = xcc(['targets', '--json']);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    const listing = JSON.parse(stdout);
    expect(listing.zigVersion).toBe('0.15.2');
    expect(listing.targets).toHaveLength(47);
    expect(listing.targets.find((entry: { port: string }) => entry.port === 'linux/amd64')).toEqual({
      port: 'linux/amd64',
      goos: 'linux',
      goarch: 'amd64',
      firstClass: true,
      cgoSupported: true,
      libcs: [
        {
          libc: 'musl',
          default: true,
          zigTarget: 'x86_64-linux-musl',
          zigCpu: 'x86_64',
          tier: expect.stringMatching(/^(builds|proven)$/),
          reason: expect.any(String),
        },
        {
          libc: 'glibc',
          default: false,
          zigTarget: 'x86_64-linux-gnu.2.28',
          zigCpu: 'x86_64',
          tier: expect.stringMatching(/^(builds|proven)$/),
          reason: expect.any(String),
        },
      ],
    });
  });

  it('uses the target names of another zig with --zig', () => {
    const { exitCode, stdout } = xcc(['targets', '--zig', '0.16.0']);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^openbsd\/amd64 +system +x86_64-openbsd-none +builds /m);
    expect(stdout).toMatch(/Target names for zig 0\.16\.0\./);
  });
});

describe('xcc targets TARGET', () => {
  it('shows how one target resolves', () => {
    const result = xcc(['targets', 'linux/arm/v7', '--glibc=2.31']);
    expect(result).toEqual({
      exitCode: 0,
      stderr: '',
      stdout: [
        'id          linux-arm-v7-glibc2.31',
        'port        linux/arm',
        'go env      GOOS=linux GOARCH=arm GOARM=7 CGO_ENABLED=1',
        'libc        glibc 2.31 (dynamic)',
        'zig         0.15.2',
        'zig target  arm-linux-gnueabihf.2.31',
        'zig cpu     generic+v7a-neon-d32',
        'macOS SDK   not needed',
        'tier        builds: zig 0.15.2 compiles and links C for it (scripts/check-targets-with-zig.ts); go build not yet proven end to end',
        '',
      ].join('\n'),
    });
  });

  it('prints the Target as JSON with --json', () => {
    const { exitCode, stdout } = xcc(['targets', 'linux/amd64/v3', '--json']);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      id: 'linux-amd64-v3-musl',
      port: 'linux/amd64',
      goos: 'linux',
      goarch: 'amd64',
      subArch: { variable: 'GOAMD64', value: 'v3' },
      env: { GOOS: 'linux', GOARCH: 'amd64', GOAMD64: 'v3', CGO_ENABLED: '1' },
      libc: 'musl',
      glibcVersion: null,
      linkage: 'static',
      zigVersion: '0.15.2',
      zigTarget: 'x86_64-linux-musl',
      zigCpu: 'x86_64_v3',
      needsSdk: false,
      macosSdk: null,
      sysroot: null,
      tier: expect.stringMatching(/^(builds|proven)$/),
      tierReason: expect.any(String),
    });
  });

  // mri reads '2.30' as the number 2.3 and '0.20' as 0.2: values must arrive as typed.
  it.each([
    [['linux/amd64', '--glibc=2.30'], 'x86_64-linux-gnu.2.30'],
    [['linux/amd64', '--glibc', '2.30'], 'x86_64-linux-gnu.2.30'],
    [['linux/amd64', '--glibc'], 'x86_64-linux-gnu.2.28'],
    [['linux/amd64', '--glibc', '--json'], 'x86_64-linux-gnu.2.28'],
    [['linux/arm', '--goarm', '6', '--glibc=2.20'], 'arm-linux-gnueabihf.2.20'],
    [['linux/arm', '--goarm=7,softfloat'], 'arm-linux-musleabi'],
    [['linux/mipsle', '--gomips', 'softfloat', '--zig', '0.13.0'], 'mipsel-linux-musl'],
  ])('%j -> %s', (args, zigTarget) => {
    const { exitCode, stdout, stderr } = xcc(['targets', ...args, '--json']);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(JSON.parse(stdout).zigTarget).toBe(zigTarget);
  });

  it('takes a sysroot for linux targets, absolute from the working directory, and only after a target', () => {
    const json = xcc(['targets', 'linux/arm64', '--sysroot', 'rel/sysroot', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: 'linux-arm64-musl',
      sysroot: path.resolve('rel/sysroot'),
    });
    expect(xcc(['targets', 'linux/arm64', '--sysroot', '/srv/arm64']).stdout).toContain(
      '\nsysroot     /srv/arm64\n',
    );
    // A path holds a slash: it is not taken for a target that went missing.
    expect(xcc(['targets', '--sysroot', '/srv/arm64'])).toMatchObject({
      exitCode: 2,
      stderr: 'xcc: --sysroot needs a target: xcc targets GOOS/GOARCH --sysroot\n',
    });
    expect(xcc(['targets', 'darwin/arm64', '--sysroot', '/srv/arm64'])).toMatchObject({
      exitCode: 2,
      stderr:
        'xcc: a sysroot is for linux targets, not darwin/arm64; drop --sysroot (a darwin target takes a macOS SDK)\n',
    });
  });

  it('takes the macOS SDK from --macos-sdk, else from SDKROOT, and only for darwin targets', () => {
    const fromFlag = xcc(['targets', 'darwin/arm64', '--macos-sdk', '/sdks/MacOSX15.sdk', '--json'], {
      SDKROOT: '/ignored',
    });
    expect(JSON.parse(fromFlag.stdout).macosSdk).toBe('/sdks/MacOSX15.sdk');
    const fromEnv = xcc(['targets', 'darwin/arm64', '--json'], { SDKROOT: '/sdks/env.sdk' });
    expect(JSON.parse(fromEnv.stdout).macosSdk).toBe('/sdks/env.sdk');
    const table = xcc(['targets', 'darwin/amd64'], { SDKROOT: '' });
    expect(table.stdout).toContain(
      "macOS SDK   none: links against stubs of Apple's libraries made from Go's source; C that includes a framework's headers needs one (--macos-sdk PATH)\n",
    );
    const linux = xcc(['targets', 'linux/amd64', '--json'], { SDKROOT: '/sdks/env.sdk' });
    expect({ exitCode: linux.exitCode, macosSdk: JSON.parse(linux.stdout).macosSdk }).toEqual({
      exitCode: 0,
      macosSdk: null,
    });
  });
});

describe('xcc targets: usage errors are one line on stderr with exit code 2', () => {
  it.each([
    [['targets', 'linux/amd64', '--bogus'], "xcc: unknown option '--bogus'; run 'xcc --help' for usage"],
    [
      ['targets', 'linux/x86_64'],
      "xcc: unknown GOARCH 'x86_64' in 'linux/x86_64'; did you mean 'linux/amd64'?",
    ],
    [['targets', 'macos/arm64'], "xcc: unknown GOOS 'macos' in 'macos/arm64'; did you mean 'darwin/arm64'?"],
    [['targets', 'linux/amd64', '--musl', '--glibc'], 'xcc: --musl and --glibc conflict; choose one libc'],
    [['targets', 'linux/amd64', '--mingw', '--musl'], 'xcc: --musl and --mingw conflict; choose one libc'],
    [
      ['targets', 'windows/amd64', '--musl'],
      'xcc: windows/amd64 cannot use musl: it links against mingw; drop --musl',
    ],
    [
      ['targets', '--glibc', 'linux/amd64'],
      "xcc: --glibc took 'linux/amd64' as its value; put the target first: xcc targets linux/amd64 --glibc",
    ],
    [['targets', '--goarm=7'], 'xcc: --goarm needs a target: xcc targets GOOS/GOARCH --goarm'],
    [['targets', 'linux/arm', '--goarm'], 'xcc: --goarm needs a value, e.g. --goarm=VALUE'],
    [
      ['targets', 'linux/arm', '--goarm', '6', '--goarm', '7'],
      'xcc: --goarm was given 2 times (6, 7); give it once',
    ],
    [
      ['targets', 'linux/arm', '--goarm=8'],
      'xcc: GOARM=8 does not exist: 64-bit ARM is GOARCH=arm64; use linux/arm64',
    ],
    [
      ['targets', 'linux/amd64', '--glibc=2.x'],
      "xcc: malformed glibc version '2.x'; write MAJOR.MINOR, e.g. 2.28",
    ],
    [
      ['targets', 'linux/amd64', '--zig', '0.10.1'],
      'xcc: zig 0.10.1 is older than 0.11.0, the oldest zig xcc supports; use zig 0.11.0 or newer',
    ],
    [
      ['targets', 'linux/amd64', '--zig', '0.20'],
      "xcc: malformed zig version '0.20'; write MAJOR.MINOR.PATCH, e.g. 0.15.2",
    ],
    [['targets', '--zig', '0.20'], "xcc: malformed zig version '0.20'; write MAJOR.MINOR.PATCH, e.g. 0.15.2"],
    [
      ['targets', 'linux/ppc64'],
      'xcc: linux/ppc64 has no cgo in Go (CgoSupported=false); build it with CGO_ENABLED=0, no C toolchain needed',
    ],
    [
      ['targets', 'linux/amd64', 'linux/arm64'],
      "xcc: one target at a time (got linux/amd64, linux/arm64); run 'xcc targets linux/amd64', or list several with --matrix",
    ],
  ])('%j', (args, message) => {
    expect(xcc(args)).toEqual({ exitCode: 2, stdout: '', stderr: `${message}\n` });
  });
});

describe('xcc targets --help', () => {
  it('documents the options and shows examples', () => {
    const { exitCode, stdout } = xcc(['targets', '--help']);
    expect(exitCode).toBe(0);
    for (const flag of ['--musl', '--glibc [version]', '--mingw', '--goarm <value>', '--goarm64 <value>']) {
      expect(stdout).toContain(flag);
    }
    for (const flag of ['--goriscv64 <value>', '--macos-sdk <path>', '--zig <version>', '--json']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('xcc targets linux/arm/v7 --glibc=2.31');
  });
});

describe('xcc targets --matrix', () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'xcc-matrix-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const targets = [
    'linux/arm64',
    { target: 'linux/amd64', glibc: '2.28' },
    'windows/amd64',
    { target: 'linux/arm', goarm: '7,softfloat' },
  ];
  writeFileSync(path.join(project, 'xcc.json'), JSON.stringify({ targets }));
  const expected = [
    { target: 'linux/arm64', name: 'linux-arm64-musl' },
    { target: 'linux/amd64 --glibc=2.28', name: 'linux-amd64-glibc2.28' },
    { target: 'windows/amd64', name: 'windows-amd64-mingw' },
    { target: 'linux/arm --goarm=7,softfloat', name: 'linux-arm-v7-softfloat-musl' },
  ];

  it("prints the project's targets as one line of JSON for strategy.matrix, each target readable back", () => {
    const { exitCode, stdout, stderr } = xcc(['targets', '--matrix', 'github'], {}, project);
    expect({ exitCode, stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(stdout.split('\n')).toHaveLength(2); // one line: `echo "matrix=$(xcc targets ...)" >> $GITHUB_OUTPUT`
    expect(JSON.parse(stdout)).toEqual({ include: expected });
    // What the Action's targets input (and xcc env, word-split by a shell) reads back: the same request.
    const requests = expected.flatMap(({ target }) => parseTargetSpecs(target, 'test'));
    expect(requests).toEqual([
      { target: 'linux/arm64' },
      { target: 'linux/amd64', libc: 'glibc', glibcVersion: '2.28' },
      { target: 'windows/amd64' },
      { target: 'linux/arm', goarm: '7,softfloat' },
    ]);
    const env = xcc(['targets', ...expected[1]!.target.split(' '), '--json']);
    expect(JSON.parse(env.stdout).id).toBe('linux-amd64-glibc2.28');
  });

  it('prints shards for xcc build --shard, at most one per target', () => {
    expect(xcc(['targets', '--matrix', 'github', '--shards', '3'], {}, project).stdout).toBe(
      '{"shard":["1/3","2/3","3/3"]}\n',
    );
    expect(xcc(['targets', '--matrix', 'github', '--shards', '5'], {}, project)).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'xcc: --shards 5 is more than the 4 targets to build; use at most 4\n',
    });
  });

  it('takes targets from the command line instead, a target and its options quoted as one argument', () => {
    const { stdout } = xcc([
      'targets',
      '--matrix',
      'github',
      'linux/amd64 --glibc=2.31',
      'freebsd/amd64,windows/arm64',
    ]);
    expect(JSON.parse(stdout)).toEqual({
      include: [
        { target: 'linux/amd64 --glibc=2.31', name: 'linux-amd64-glibc2.31' },
        { target: 'freebsd/amd64', name: 'freebsd-amd64' },
        { target: 'windows/arm64', name: 'windows-arm64-mingw' },
      ],
    });
  });

  it('prints a parallel:matrix fragment for GitLab that a YAML parser reads', (context) => {
    needYaml(context);
    const plain = xcc(['targets', '--matrix', 'gitlab'], {}, project);
    expect(plain.exitCode).toBe(0);
    expect(parseYaml(plain.stdout)).toEqual({
      parallel: { matrix: expected.map(({ target, name }) => ({ TARGET: target, NAME: name })) },
    });
    const sharded = xcc(['targets', '--matrix', 'gitlab', '--shards', '2'], {}, project);
    expect(parseYaml(sharded.stdout)).toEqual({ parallel: { matrix: [{ SHARD: ['1/2', '2/2'] }] } });
  });

  it.each([
    [
      ['targets', '--matrix', 'github'],
      'xcc: no targets for the matrix: name them (xcc targets --matrix github linux/arm64 windows/amd64) or list them in xcc.json',
    ],
    [
      ['targets', '--matrix', 'github', 'linux/arm64', '--musl'],
      `xcc: --matrix takes no --musl; give targets their options in xcc.json ({"target": "linux/amd64", "glibc": "2.28"}) or quote each target with its own: 'linux/amd64 --glibc=2.28'`,
    ],
    [
      ['targets', '--matrix', 'github', '--json', 'linux/arm64'],
      'xcc: --matrix prints JSON (github) or YAML (gitlab) already; drop --json',
    ],
    [
      ['targets', '--matrix', 'github', 'linux/arm64', 'linux/arm64'],
      'xcc: linux-arm64-musl is listed twice; list each target once',
    ],
    [
      ['targets', '--matrix', 'github', '--shards', '2x', 'linux/arm64'],
      "xcc: --shards takes a whole number of jobs like 3, got '2x'",
    ],
    [
      ['targets', '--matrix', 'github', 'linux/amd64 --glibc=2.28 --musl'],
      'xcc: --matrix targets: linux/amd64 has two libc options; choose one',
    ],
    [
      ['targets', '--matrix', 'github', 'linux/amd64 --goarm 7'],
      'xcc: --matrix targets: --goarm needs a value, written --goarm=VALUE',
    ],
    [
      ['targets', '--matrix', 'github', 'linux/arm64 $(id)'],
      "xcc: --matrix targets: '$(id)' contains '$'; targets are written like linux/amd64 --glibc=2.28 (letters, digits and _ . / = , + : - only)",
    ],
    [
      ['targets', '--matrix', 'github', 'linux/arm65'],
      "xcc: unknown GOARCH 'arm65' in 'linux/arm65'; did you mean 'linux/arm64'?",
    ],
  ])('%j', (args, message) => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'xcc-matrix-none-'));
    try {
      expect(xcc(args, {}, cwd)).toEqual({ exitCode: 2, stdout: '', stderr: `${message}\n` });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
