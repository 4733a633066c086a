import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveTarget, type TargetRequest } from '../../src/resolve/index.js';
import { runnerPlan } from '../../src/run/index.js';
import { hasCommand } from '../support/tools.js';
import type { Row, Runner } from './matrix.js';

/**
 * Running cross-built programs on this linux/amd64 host is xcc's own job (src/run/: `xcc run`, and the
 * go_GOOS_GOARCH_exec runner that `xcc exec` puts on PATH). Here: what the test machine lacks for a
 * row's runner, so the test can skip (or fail under XCC_E2E=require), and whether xcc's choice of runner
 * is the one the matrix writes down from QEMU's and Wine's own names.
 */

/** What is missing to use this runner, or null when everything is there. */
export function missingForRunner(runner: Runner): string | null {
  switch (runner.kind) {
    case 'native':
    case 'none':
      return null;
    case 'qemu': {
      if (!hasCommand(`qemu-${runner.arch}-static`))
        return `qemu-${runner.arch}-static is not installed (qemu-user-static)`;
      if (runner.sysroot !== undefined && !existsSync(path.join(runner.sysroot, 'lib')))
        return `${runner.sysroot} is missing (Debian's libc6-*-cross package for this architecture)`;
      return null;
    }
    case 'wine':
      if (!hasCommand('wine')) return 'wine is not installed';
      // Debian's wine32:i386 puts the 32-bit loader beside wine64's.
      if (runner.wine32 && !existsSync('/usr/lib/wine/wine'))
        return '32-bit Wine is not installed (dpkg --add-architecture i386 && apt-get install wine32:i386)';
      return null;
  }
}

/** Where xcc's runner for the row differs from the matrix's (a row it does not run here is not compared). */
export function runnerDisagreement(row: Row, zigVersion: string): string | null {
  const expected = row.runner;
  if (expected.kind === 'none') return null;
  const plan = runnerPlan(resolveTarget(requestOf(row), { zigVersion }), { platform: 'linux', arch: 'x64' });
  const said = JSON.stringify(plan);
  if (plan.kind !== expected.kind) return `xcc runs ${row.id} with ${said}, the matrix says ${expected.kind}`;
  if (plan.kind !== 'qemu' || expected.kind !== 'qemu') return null;
  if (plan.arch !== expected.arch || plan.cpu !== expected.cpu)
    return `xcc runs ${row.id} with ${said}, the matrix says qemu-${expected.arch} -cpu ${expected.cpu ?? '(default)'}`;
  const sysroots = plan.sysroot?.dirs;
  if (
    (expected.sysroot === undefined) !== (sysroots === undefined) ||
    (expected.sysroot !== undefined && !sysroots?.includes(expected.sysroot))
  )
    return `xcc looks for ${row.id}'s glibc in ${sysroots?.join(', ') ?? 'no sysroot'}, the matrix says ${expected.sysroot ?? 'none'}`;
  return null;
}

/** The row's command-line flags (`--musl`, `--glibc=2.28`) as the resolver's request. */
function requestOf(row: Row): TargetRequest {
  const request: TargetRequest = { target: row.target };
  for (const flag of row.flags) {
    if (flag === '--musl') request.libc = 'musl';
    else if (flag.startsWith('--glibc=')) request.glibcVersion = flag.slice('--glibc='.length);
    else throw new Error(`runners.ts does not know the matrix flag ${flag}`);
  }
  return request;
}

/** How the row's programs ran, for the results table. */
export function runnerText(runner: Runner): string {
  if (runner.kind !== 'qemu') return runner.kind;
  const options = [
    ...(runner.cpu === undefined ? [] : [`-cpu ${runner.cpu}`]),
    ...(runner.sysroot === undefined ? [] : [`-L ${runner.sysroot}`]),
  ];
  return [`qemu-${runner.arch}-static`, ...options].join(' ');
}
