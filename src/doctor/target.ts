import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { isXccError } from '../errors.js';
import type { Env } from '../home.js';
import { checkExpectations, parseExpectations } from '../inspect/expect.js';
import { inspectFile } from '../inspect/report.js';
import type { Target, TargetRequest } from '../resolve/index.js';
import { provision } from '../toolchain/provision.js';
import type { InstallEventHandler } from '../zig/events.js';
import type { LockedArtifacts } from '../zig/locked.js';
import { type CheckResult, type CommandRunner, firstLine, timed } from './check.js';

/**
 * The check that settles it: provision the target's toolchain, `go build` a tiny cgo program through
 * xcc's wrappers with the user's own Go settings, and read the binary back with `xcc inspect` to see that
 * it is what the target promises (GOOS/GOARCH and CPU level, static or dynamic, libc, cgo, float ABI).
 */

/** C that needs the target's libc at link time, called from Go: cgo cannot be silently skipped. */
const PROBE_GO = `package main

/*
#include <stdio.h>
#include <stdlib.h>
static int probe(void) { char *p = malloc(16); int n = snprintf(p, 16, "%d", 42); free(p); return n; }
*/
import "C"

import "fmt"

func main() { fmt.Println("xcc doctor", C.probe()) }
`;

const PROBE_MOD = 'module xccdoctor\n\ngo 1.18\n';

export interface TargetCheckOptions {
  request: TargetRequest;
  env: Env;
  home: string;
  spec: string | undefined;
  locked: LockedArtifacts | undefined;
  run: CommandRunner;
  clock: Clock;
  onEvent?: InstallEventHandler;
  /** Where the probe module is written (a fresh directory inside it, removed afterwards). */
  tmpDir?: string;
}

export async function checkTarget(options: TargetCheckOptions): Promise<CheckResult> {
  const { request } = options;
  const id = `target:${request.target}`;
  const title = `build ${request.target}${libcLabel(request)}`;
  const started = options.clock.monotonic();
  const elapsed = () => Math.round(options.clock.monotonic() - started);
  let toolchain: Awaited<ReturnType<typeof provision>>;
  try {
    toolchain = await provision({
      target: request,
      spec: options.spec,
      locked: options.locked,
      env: options.env,
      home: options.home,
      onEvent: options.onEvent,
    });
  } catch (error) {
    if (!isXccError(error)) throw error;
    // xcc's messages end with their own fix; no second one here.
    return {
      id,
      title,
      status: 'fail',
      detail: `provisioning failed: ${error.message}`,
      durationMs: elapsed(),
    };
  }
  const dir = await mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'xcc-doctor-'));
  try {
    return await buildAndInspect({
      ...options,
      id,
      title,
      dir,
      target: toolchain.target,
      toolchainEnv: toolchain.env,
      elapsed,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function libcLabel(request: TargetRequest): string {
  if (request.glibcVersion) return ` (glibc ${request.glibcVersion})`;
  return request.libc ? ` (${request.libc})` : '';
}

async function buildAndInspect(
  options: TargetCheckOptions & {
    id: string;
    title: string;
    dir: string;
    target: Target;
    toolchainEnv: Record<string, string>;
    elapsed: () => number;
  },
): Promise<CheckResult> {
  const { id, title, dir, target } = options;
  await writeFile(path.join(dir, 'go.mod'), PROBE_MOD);
  await writeFile(path.join(dir, 'main.go'), PROBE_GO);
  const output = path.join(dir, target.goos === 'windows' ? 'probe.exe' : 'probe');
  // The user's environment (GOFLAGS, go env file...) stays: what defeats their build must show here too.
  // GOWORK=off: a go.work named by the environment does not contain this module.
  const env = { ...options.env, ...options.toolchainEnv, GOWORK: 'off' };
  const [build, buildMs] = await timed(options.clock, () =>
    options.run('go', ['build', '-o', output, '.'], { env, cwd: dir, timeoutMs: 15 * 60_000 }),
  );
  if (build.exitCode !== 0) {
    return {
      id,
      title,
      status: 'fail',
      detail: `go build of a cgo program failed after ${seconds(buildMs)}: ${build.problem ?? goError(build.stderr)}`,
      fix: `run 'xcc exec ${target.port} -- go build -x .' in a cgo module to see the failing command, and check the go env checks above`,
      durationMs: options.elapsed(),
    };
  }
  const images = await inspectFile(output);
  const results = checkExpectations(images, parseExpectations(expectationsFor(target).join(',')));
  const wrong = results.filter((result) => !result.ok);
  const facts = results.map((result) => result.actual).join(', ');
  if (wrong.length > 0) {
    return {
      id,
      title,
      status: 'fail',
      detail: `go build succeeded in ${seconds(buildMs)}, but the binary is not what ${target.id} promises: ${wrong
        .map((result) => `expected ${result.expectation}, got ${result.actual}`)
        .join('; ')}`,
      fix: 'check the go env checks above (GOFLAGS, CGO_ENABLED); run xcc inspect on your own build to compare',
      durationMs: options.elapsed(),
    };
  }
  return {
    id,
    title,
    status: 'pass',
    detail: `zig ${target.zigTarget}: compiled and linked a cgo program in ${seconds(buildMs)} (${seconds(options.elapsed())} with provisioning): ${facts}`,
    durationMs: options.elapsed(),
  };
}

/** What the binary must be, in `xcc inspect --expect` terms. */
export function expectationsFor(target: Target): string[] {
  const variant = target.subArch === null ? '' : `/${variantName(target)}`;
  // Inspect calls a PE or Mach-O file static when it needs only the OS's own libraries: what zig's
  // mingw-w64 and libSystem links give, whatever the target table says about libc linkage.
  const elf = target.goos !== 'windows' && target.goos !== 'darwin' && target.goos !== 'ios';
  const expectations = [`${target.port}${variant}`, elf ? target.linkage : 'static', 'cgo'];
  if (target.libc === 'glibc' || target.libc === 'musl') expectations.push(target.libc);
  if (target.glibcVersion !== null) expectations.push(`glibc<=${target.glibcVersion}`);
  if (target.goarch === 'arm') expectations.push(/eabihf/.test(target.zigTarget) ? 'hardfloat' : 'softfloat');
  return expectations;
}

/** GOARM=7,softfloat is variant v7 in inspect's words; other variables keep their value. */
function variantName(target: Target): string {
  const value = target.subArch!.value;
  return target.goarch === 'arm' ? `v${value.split(',')[0]}` : value.split(',')[0]!;
}

/** The first lines of go build's output that say what failed (not the `# package` headers). */
function goError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return lines.slice(0, 3).join(' | ') || firstLine(stderr) || 'no output';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
