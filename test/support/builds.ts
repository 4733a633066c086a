import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Real binaries for the inspect tests, built during the test run with the tools at hand: `go build`
 * for any GOOS/GOARCH, the host `gcc`, and the test Zig (provided-zig.ts) as the C cross-compiler. Nothing
 * binary is committed.
 */

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): RunResult {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    ...(result.error ? { error: result.error } : {}),
  };
}

/** How a program started with `startCollecting` ended, with all it printed. */
export interface Collected {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts a program without blocking the event loop, collecting stdout and stderr as text: `output`
 * holds what it printed so far, `closed` settles when it has exited and its pipes have closed.
 */
export function startCollecting(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe' } = {},
): { child: ChildProcess; output: { stdout: string; stderr: string }; closed: Promise<Collected> } {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk;
  });
  const closed = new Promise<Collected>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, ...output }));
  });
  return { child, output, closed };
}

/** `run` without blocking the event loop: for programs that talk to a server in the test process. */
export async function runAsync(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<RunResult> {
  const { child, closed } = startCollecting(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdin: 'pipe',
  });
  child.stdin!.end(options.input ?? '');
  const { status, stdout, stderr } = await closed;
  return { status, stdout, stderr };
}

/** Runs a build step and returns its output path; a failed build fails the test with the tool's own words. */
function mustRun(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
  output: string,
): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}): ${result.error?.message ?? ''}${result.stderr}${result.stdout}`,
    );
  }
  return output;
}

export const HELLO_GO = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n';

export const HELLO_CGO = `package main

/*
#include <stdio.h>
static void hello(void) { puts("hello from C"); }
*/
import "C"

func main() { C.hello() }
`;

export const HELLO_C = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n';

/** A module directory with go.mod and the given files. */
export function goModule(root: string, name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'go.mod'), `module example.com/${name}\n\ngo 1.22\n`);
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

/** Go settings a developer's shell may carry that would change what gets built. */
const GO_VARIABLES = [
  'GOFLAGS',
  'GOOS',
  'GOARCH',
  'GOAMD64',
  'GOARM',
  'GOARM64',
  'GO386',
  'GOMIPS',
  'GOMIPS64',
  'GOPPC64',
  'GORISCV64',
  'CC',
  'CXX',
  'CGO_CFLAGS',
  'CGO_LDFLAGS',
];

export function goEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of GO_VARIABLES) delete env[name];
  // GOENV=off: a developer's `go env -w GOFLAGS=...` must not change what the tests build.
  return { ...env, GOENV: 'off', GOTOOLCHAIN: 'local', GOWORK: 'off', CGO_ENABLED: '0', ...overrides };
}

export function goBuild(
  dir: string,
  output: string,
  env: Record<string, string>,
  flags: readonly string[] = [],
): string {
  return mustRun('go', ['build', ...flags, '-o', output, '.'], { cwd: dir, env: goEnv(env) }, output);
}

export function cc(
  compiler: readonly string[],
  output: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const [command, ...fixed] = compiler;
  return mustRun(command!, [...fixed, ...args, '-o', output], { cwd, env }, output);
}

/** `CC` for cgo: Go splits it like a shell would, so a path with spaces is quoted. */
export function zigCc(zig: string, triple: string): string {
  return `${JSON.stringify(zig)} cc -target ${triple}`;
}
