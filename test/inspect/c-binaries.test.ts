import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { checkExpectations, parseExpectations } from '../../src/inspect/expect.js';
import { type BinaryFacts, compareDottedVersions } from '../../src/inspect/facts.js';
import { detectHost } from '../../src/inspect/host.js';
import { inspectFile } from '../../src/inspect/report.js';
import { type Host, judge } from '../../src/inspect/verdicts.js';
import { cc, goBuild, goModule, HELLO_C, HELLO_CGO, run } from '../support/builds.js';
import { fileType, readelf } from '../support/oracles.js';
import { hasCommand, needCommand, needHost } from '../support/tools.js';

/**
 * C and cgo binaries from the host's gcc: dynamic glibc, -static, -static-pie, a shared library, a
 * CPU-level note, and CGO_ENABLED=1 with the host C compiler. Checked against readelf and file(1).
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-inspect-c-'));
const bin = (name: string) => path.join(work, 'bin', name);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const gcc = hasCommand('gcc');
const x86 = process.arch === 'x64';
const LINUX_AMD64: Host = { os: 'linux', arch: 'amd64' };

/** A loop GCC vectorizes with the widest instructions -march allows: AVX-512 for x86-64-v4. */
const VECTOR_C = `#include <stdio.h>
int main(int argc, char **argv) {
  (void)argv;
  float a[64], s = 0;
  for (int i = 0; i < 64; i++) a[i] = (float)(i * argc);
  for (int i = 0; i < 64; i++) s += a[i] * a[i];
  printf("%f\\n", s);
  return 0;
}
`;

beforeAll(() => {
  if (!gcc) return;
  mkdirSync(path.join(work, 'bin'));
  writeFileSync(path.join(work, 'hello.c'), HELLO_C);
  const build = (name: string, flags: string[]) => cc(['gcc'], bin(name), ['-O2', ...flags, 'hello.c'], work);
  build('dynamic', []);
  build('static', ['-static']);
  build('static-pie', ['-static-pie']);
  build('libhello.so', ['-shared', '-fPIC']);
  // -mneeded (GCC 11+) records the x86-64 level in .note.gnu.property, which glibc's loader enforces.
  if (x86) {
    for (const level of ['v2', 'v3', 'v4']) build(`x86-64-${level}`, [`-march=x86-64-${level}`, '-mneeded']);
    writeFileSync(path.join(work, 'vector.c'), VECTOR_C);
    cc(
      ['gcc'],
      bin('static-x86-64-v4'),
      ['-O3', '-static', '-march=x86-64-v4', '-mneeded', 'vector.c'],
      work,
    );
  }
  const cgo = goModule(work, 'cgohello', { 'main.go': HELLO_CGO });
  goBuild(cgo, bin('cgo'), { CGO_ENABLED: '1', CC: 'gcc' });
}, 1_800_000);

function needGcc(context: TestContext): void {
  needCommand(context, 'gcc');
}

async function image(name: string): Promise<BinaryFacts> {
  const [facts] = await inspectFile(bin(name));
  return facts!;
}

function texts(facts: BinaryFacts, host: Host, topic: string): string[] {
  return judge(facts, host)
    .filter((verdict) => verdict.topic === topic)
    .map((verdict) => verdict.text);
}

/** Undefined dynamic symbols bound to GLIBC_<version>, as `readelf --dyn-syms` prints them (`puts@GLIBC_2.2.5 (2)`). */
function readelfSymbolsAt(file: string, version: string): string[] {
  const text = run('readelf', ['--dyn-syms', '-W', file], { env: { ...process.env, LC_ALL: 'C' } }).stdout;
  const symbols = [...text.matchAll(/\sUND\s+([^@\s]+)@GLIBC_(\d+(?:\.\d+)+)/g)]
    .filter((match) => match[2] === version)
    .map((match) => match[1]!);
  return [...new Set(symbols)].sort();
}

describe('C binaries from the host gcc', () => {
  it.for([
    ['dynamic', 'dynamic', /dynamically linked/],
    ['static', 'static', /, statically linked/],
    ['static-pie', 'static-pie', /static-pie linked/],
  ] as const)(
    '%s: linkage, loader, libraries and glibc version as readelf and file say',
    async ([name, linkage, description], context) => {
      needGcc(context);
      const facts = await image(name);
      const oracle = readelf(bin(name));
      expect(facts.linkage).toBe(linkage);
      expect(fileType(bin(name))).toMatch(description);
      expect(facts.interpreter).toBe(oracle.interpreter);
      expect(facts.libraries).toEqual(oracle.needed);
      expect(facts.glibc?.version ?? null).toBe(oracle.glibc);
      expect(facts.stripped).toBe(!oracle.symtab);
      expect(facts.libc).toBe('glibc');
      expect(facts.go).toBeNull();
      expect(facts.compilers).toEqual([expect.stringMatching(/^GCC: /)]);
    },
  );

  it('names the symbols that need the newest glibc, as readelf --dyn-syms does', async (context) => {
    needGcc(context);
    const facts = await image('cgo');
    expect(facts.glibc).not.toBeNull();
    expect(facts.glibc?.symbols).toEqual(readelfSymbolsAt(bin('cgo'), facts.glibc!.version));
    expect(facts.glibc?.symbols.length).toBeGreaterThan(0);
  });

  it('dynamic glibc: no scratch image, and the glibc it needs', async (context) => {
    needGcc(context);
    const facts = await image('dynamic');
    const { interpreter, glibc } = readelf(bin('dynamic'));
    expect(texts(facts, LINUX_AMD64, 'scratch')).toEqual([
      `runs on scratch/distroless-static: no, because it needs the loader ${interpreter} and libc.so.6, which those images do not have (the kernel reports "no such file or directory"); build with CGO_ENABLED=0, or link statically (musl), or use an image that has them`,
    ]);
    const symbols = facts.glibc!.symbols;
    expect(texts(facts, { ...LINUX_AMD64, glibc: '2.99' }, 'libc')).toEqual([
      `needs glibc >= ${glibc} (for ${symbols.slice(0, 3).join(', ')}${symbols.length > 3 ? ` and ${symbols.length - 3} more` : ''}); this host has 2.99`,
    ]);
  });

  it('a glibc older than needed: the loader error users see', async (context) => {
    needGcc(context);
    const facts = await image('dynamic');
    const needed = facts.glibc!.version;
    expect(texts(facts, { ...LINUX_AMD64, glibc: '2.17' }, 'host')).toEqual([
      `cannot run on this host (linux/amd64): it needs glibc >= ${needed} and this host has 2.17, so the loader fails with "version \`GLIBC_${needed}' not found"`,
    ]);
  });

  it('runs on this very host, as detected', async (context) => {
    needGcc(context);
    const host = detectHost();
    expect(run(bin('dynamic'), []).stdout).toBe('hello\n');
    expect(texts(await image('dynamic'), host, 'host')).toEqual([
      `runs on this host (${host.os}/${host.arch}): yes`,
    ]);
  });

  it('static and static-pie run on scratch; static glibc still loads NSS modules', async (context) => {
    needGcc(context);
    expect(texts(await image('static'), LINUX_AMD64, 'scratch')).toEqual([
      'runs on scratch/distroless-static: yes, because it is statically linked (no loader, no shared libraries)',
    ]);
    expect(texts(await image('static-pie'), LINUX_AMD64, 'scratch')).toEqual([
      'runs on scratch/distroless-static: yes, because it is static-pie linked (no loader, no shared libraries)',
    ]);
    expect(texts(await image('static'), LINUX_AMD64, 'libc')).toEqual([
      "glibc is linked in, but its NSS functions (getaddrinfo, getpwnam...) still load the target's glibc libraries at run time",
    ]);
  });

  it.for([
    [
      'v2',
      'needs an x86-64-v2 CPU (SSE4.2, POPCNT: Intel Nehalem, AMD Bulldozer or newer) (from .note.gnu.property)',
    ],
    [
      'v3',
      'needs an x86-64-v3 CPU (AVX2, BMI2, FMA: Intel Haswell, AMD Excavator or newer) (from .note.gnu.property)',
    ],
    ['v4', 'needs an x86-64-v4 CPU (AVX-512) (from .note.gnu.property)'],
  ] as const)(
    '-march=x86-64-%s -mneeded: the CPU level from .note.gnu.property',
    async ([level, text], context) => {
      needGcc(context);
      needHost(context, { arch: 'x64' });
      const facts = await image(`x86-64-${level}`);
      expect(run('readelf', ['-nW', bin(`x86-64-${level}`)]).stdout).toMatch(
        new RegExp(`x86 ISA needed: .*x86-64-${level}`),
      );
      expect(facts.cpuVariant).toBe(level);
      expect(texts(facts, LINUX_AMD64, 'cpu')).toEqual([text]);
    },
  );

  it('a static binary for a newer CPU dies with "illegal instruction"', async (context) => {
    needGcc(context);
    needHost(context, { arch: 'x64' });
    const facts = await image('static-x86-64-v4');
    expect(texts(facts, { ...LINUX_AMD64, amd64Level: 3 }, 'host')).toEqual([
      'cannot run on this host (linux/amd64): it needs an x86-64-v4 CPU and this one is x86-64-v3; it would crash with "illegal instruction"',
    ]);
    // On a CPU with AVX-512 it runs here: then it runs on QEMU's Haswell, an x86-64-v3 CPU.
    const level = detectHost().amd64Level;
    const older = level != null && level < 4;
    if (!older) needCommand(context, 'qemu-x86_64-static');
    const ran = older
      ? spawnSync(bin('static-x86-64-v4'), [])
      : spawnSync('qemu-x86_64-static', ['-cpu', 'Haswell', bin('static-x86-64-v4')]);
    expect(ran.signal).toBe('SIGILL');
  });

  it('a missing glibc loader: the hint says so', async (context) => {
    needGcc(context);
    const facts = await image('dynamic');
    expect(texts(facts, { ...LINUX_AMD64, hasFile: () => false }, 'host')).toEqual([
      `cannot run on this host (linux/amd64): its loader ${facts.interpreter} does not exist here, so running it fails with "no such file or directory" (a glibc binary: run it on a glibc distribution, or build it static)`,
    ]);
  });

  it('a shared library is not judged as a program', async (context) => {
    needGcc(context);
    const facts = await image('libhello.so');
    expect(facts.kind).toBe('shared-library');
    expect(readelf(bin('libhello.so')).type).toBe('DYN');
    const topics = judge(facts, LINUX_AMD64).map((verdict) => verdict.topic);
    expect(topics[0]).toBe('kind');
    expect(topics).not.toContain('host');
    expect(topics).not.toContain('scratch');
    expect(texts(facts, LINUX_AMD64, 'kind')).toEqual([
      'a shared library, not a program: it is not run directly',
    ]);
  });

  it('a dynamic glibc binary for a newer CPU: the loader message', async (context) => {
    needGcc(context);
    needHost(context, { arch: 'x64' });
    const facts = await image('x86-64-v3');
    const message = 'CPU ISA level is lower than required';
    expect(texts(facts, { ...LINUX_AMD64, amd64Level: 2 }, 'host')).toEqual([
      `cannot run on this host (linux/amd64): it needs an x86-64-v3 CPU and this one is x86-64-v2; the loader refuses it with "${message}"`,
    ]);
    const loader = facts.interpreter!;
    if (existsSync(loader)) expect(readFileSync(loader).includes(message)).toBe(true);
  });
});

describe('cgo with the host C compiler', () => {
  it('records CGO_ENABLED=1, the C compiler from .comment, and the dynamic libc', async (context) => {
    needGcc(context);
    const facts = await image('cgo');
    const comment = run('readelf', ['-p', '.comment', bin('cgo')]).stdout;
    const compiler = facts.compilers[0]!;
    expect(comment).toContain(compiler);
    expect(facts.go?.settings.CGO_ENABLED).toBe('1');
    expect(texts(facts, LINUX_AMD64, 'cgo')).toEqual([
      `cgo was enabled (CGO_ENABLED=1); C compiled by ${compiler}`,
    ]);
    expect(texts(facts, LINUX_AMD64, 'reproducible')).toEqual([
      "reproducible build flags: no, missing -trimpath (it embeds this machine's source and module paths); with cgo the bytes also depend on the C compiler, which Go does not record",
    ]);
  });

  it('--expect as a release gate on a cgo binary', async (context) => {
    needGcc(context);
    const images = await inspectFile(bin('cgo'));
    const { interpreter, glibc } = readelf(bin('cgo'));
    const old = compareDottedVersions(glibc!, '2.28') <= 0;
    expect(
      checkExpectations(images, parseExpectations('cgo,dynamic,glibc,!musl,static,glibc<=2.28,glibc<=99.0')),
    ).toEqual([
      { expectation: 'cgo', ok: true, actual: 'CGO_ENABLED=1' },
      { expectation: 'dynamic', ok: true, actual: `dynamic (needs ${interpreter}, libc.so.6)` },
      { expectation: 'glibc', ok: true, actual: 'libc glibc' },
      { expectation: '!musl', ok: true, actual: 'libc glibc' },
      { expectation: 'static', ok: false, actual: `dynamic (needs ${interpreter}, libc.so.6)` },
      { expectation: 'glibc<=2.28', ok: old, actual: `needs glibc ${glibc}` },
      { expectation: 'glibc<=99.0', ok: true, actual: `needs glibc ${glibc}` },
    ]);
  });
});
