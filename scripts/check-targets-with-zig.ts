/**
 * Checks toolchains/targets.json against a real zig: for every port and libc xcc resolves, links a
 * small C program (stdio, libm, threads) with the resolved -target and -mcpu, and compiles it for
 * every sub-architecture value; for glibc it also links against the oldest and newest version xcc
 * accepts. Run it whenever the table or the supported zig versions change:
 *
 *   ZIG_GLOBAL_CACHE_DIR=/tmp/zig-cache npx tsx scripts/check-targets-with-zig.ts /path/to/zig [options]
 *     --compile-only     compile every check, link none (fast: no libc is built)
 *     --only GOOS/GOARCH restrict to one port (repeatable)
 *
 * Exit code 1 when a check fails. The first line of zig's error is printed for each failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type SubArchVariable, targetsData } from '../src/resolve/data.js';
import { listTargets, resolveTarget, type Target, type TargetRequest } from '../src/resolve/index.js';
import { glibcRange } from '../src/resolve/libc.js';
import { subArchFields } from '../src/resolve/sub-arch.js';

const helloC = `#include <math.h>
#include <stdio.h>
#ifndef _WIN32
#include <pthread.h>
static void *run(void *arg) { return arg; }
#endif
int main(int argc, char **argv) {
#ifndef _WIN32
  pthread_t thread;
  void *result;
  pthread_create(&thread, 0, run, argv);
  pthread_join(thread, &result);
#endif
  printf("%g\\n", sqrt((double)argc));
  return 0;
}
`;

interface Check {
  kind: 'link' | 'compile';
  request: TargetRequest;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'compile-only': { type: 'boolean', default: false }, only: { type: 'string', multiple: true } },
});
const zig = positionals[0];
if (zig === undefined) {
  console.error('usage: check-targets-with-zig.ts ZIG_PATH [--compile-only] [--only GOOS/GOARCH]...');
  process.exit(2);
}
const zigVersion = run(zig, ['version']).stdout.trim();
const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-check-targets-'));
const source = path.join(work, 'hello.c');
writeFileSync(source, helloC);

let failures = 0;
let total = 0;
try {
  for (const check of checks()) {
    total++;
    if (!runCheck(check)) failures++;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`zig ${zigVersion}: ${total - failures}/${total} checks passed`);
process.exitCode = failures === 0 ? 0 : 1;

/** Every port and libc this zig can build, with each sub-architecture setting and glibc bound. */
function* checks(): Generator<Check> {
  const kind = values['compile-only'] ? 'compile' : 'link';
  for (const listing of listTargets({ zigVersion })) {
    if (values.only !== undefined && !values.only.includes(listing.port)) continue;
    for (const { libc, zigTarget } of listing.libcs) {
      if (libc === null || zigTarget === null) continue;
      const base: TargetRequest = { target: listing.port, libc };
      yield { kind, request: base };
      if (libc === 'glibc') yield* glibcBounds(base, kind);
      yield* subArchSettings(base);
    }
  }
}

function* glibcBounds(base: TargetRequest, kind: Check['kind']): Generator<Check> {
  const { oldest, newest } = glibcRange(base.target.split('/')[1]!, zigVersion);
  for (const glibcVersion of [oldest, newest]) yield { kind, request: { ...base, glibcVersion } };
}

function* subArchSettings(base: TargetRequest): Generator<Check> {
  const defaultTarget = resolveTarget(base, { zigVersion });
  const variable = defaultTarget.subArch?.variable;
  if (variable === undefined) return;
  const field = (Object.keys(subArchFields) as (keyof typeof subArchFields)[]).find(
    (name) => subArchFields[name] === variable,
  )!;
  for (const setting of settingsOf(variable)) {
    const request = { ...base, [field]: setting };
    const target = tryResolve(request);
    if (target !== undefined && target.id !== defaultTarget.id) yield { kind: 'compile', request };
  }
}

function settingsOf(variable: SubArchVariable): string[] {
  const table = targetsData().subArch;
  const names = Object.keys(table[variable].values);
  if (variable === 'GOARM') return names.flatMap((name) => [`${name},softfloat`, `${name},hardfloat`]);
  if (variable === 'GOARM64') return [...names, 'v8.0,lse', 'v8.0,crypto', 'v9.5,crypto'];
  return names;
}

/** Settings zig has no libc for (soft-float on FreeBSD/arm) are refused by the resolver: not a failure. */
function tryResolve(request: TargetRequest): Target | undefined {
  try {
    return resolveTarget(request, { zigVersion });
  } catch {
    return undefined;
  }
}

function runCheck({ kind, request }: Check): boolean {
  const target = resolveTarget(request, { zigVersion });
  const output = path.join(work, kind === 'link' ? 'hello' : 'hello.o');
  const cpu = target.zigCpu === null ? [] : [`-mcpu=${target.zigCpu}`];
  const mode = kind === 'link' ? [source, '-lm'] : ['-c', source];
  const args = ['cc', '-target', target.zigTarget, ...cpu, '-O2', ...mode, '-o', output];
  const started = performance.now();
  const result = run(zig!, args);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const ok = result.status === 0;
  const label = `${target.id} ${target.zigTarget} -mcpu=${target.zigCpu ?? '(baseline)'}`;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${kind.padEnd(7)} ${label} (${seconds}s)`);
  if (!ok) console.log(`     ${firstError(result.stderr)}`);
  return ok;
}

function firstError(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  return (lines.find((line) => /error/i.test(line)) ?? lines[0] ?? '(no output)').trim();
}

function run(command: string, args: string[]) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
