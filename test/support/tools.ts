import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** What can skip a test: vitest's test context (in a test or a `beforeEach`). */
export interface Skippable {
  skip(note: string): never;
}

/**
 * The one way a test gives up for want of something on the machine. A missing prerequisite skips the
 * test with its reason on a developer machine, and fails it where `.ci/run` sets `XCC_E2E=require`: a
 * skip there would hide that nothing was tested. Either way the message says what is missing and what
 * to install. Call it from the test, or from a `beforeEach` for a whole `describe`; never decide at
 * collection time (`skipIf`), where no mode can turn the skip into a failure.
 */
export function requireOrSkip(context: Skippable, missing: string, fix: string): never {
  if (prerequisitesRequired()) throw new Error(`${missing}: ${fix} (required because XCC_E2E=require)`);
  return context.skip(`${missing}: ${fix}; XCC_E2E=require makes this a failure`);
}

/** XCC_E2E=require: a missing prerequisite fails the test. */
export function prerequisitesRequired(): boolean {
  return process.env.XCC_E2E === 'require';
}

/**
 * How to get each program the tests run: the Debian packages `.ci/run` installs (keep the two in step),
 * or where else it comes from.
 */
const INSTALL: Record<string, string> = {
  'apt-get': 'a Debian or Ubuntu host (apt)',
  bash: 'apt-get install bash',
  dash: 'apt-get install dash',
  'dpkg-deb': 'apt-get install dpkg',
  fish: 'apt-get install fish',
  zsh: 'apt-get install zsh',
  gcc: 'apt-get install gcc libc6-dev',
  git: 'apt-get install git',
  go: 'install Go (https://go.dev/dl) and put its bin on PATH',
  goreleaser:
    'GOBIN=DIR go install github.com/goreleaser/goreleaser/v2@v2.17.0 and put DIR on PATH (.ci/run does)',
  'llvm-lipo': 'apt-get install llvm',
  'llvm-objdump': 'apt-get install llvm',
  'llvm-readobj': 'apt-get install llvm',
  minisign: 'apt-get install minisign',
  'pkg-config': 'apt-get install pkgconf',
  python3: 'apt-get install python3',
  'qemu-aarch64-static': 'apt-get install qemu-user-static',
  'qemu-x86_64-static': 'apt-get install qemu-user-static',
  unshare: 'apt-get install util-linux',
  wine: 'apt-get install wine wine64',
  xz: 'apt-get install xz-utils',
};

/** Whether an external program is on PATH (a real shell, qemu, wine...). */
export function hasCommand(name: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;
}

/** The program `name` for a test that cannot run without it (see `requireOrSkip`). */
export function needCommand(context: Skippable, name: string): void {
  if (hasCommand(name)) return;
  requireOrSkip(context, `${name} is not installed`, installHint(name));
}

/**
 * An LLVM tool by its plain name or, as Debian installs some of them (llvm-lipo-14), with the LLVM
 * version after it: the newest one on PATH. The test skips (or fails, see `requireOrSkip`) without it.
 */
export function needLlvmTool(context: Skippable, name: `llvm-${string}`): string {
  if (hasCommand(name)) return name;
  const versioned = new RegExp(`^${name}-(\\d+)$`);
  const found = (process.env.PATH ?? '')
    .split(path.delimiter)
    .flatMap(listDirectory)
    .map((file) => versioned.exec(file))
    .filter((match) => match !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1]));
  if (found.length > 0) return found[0]![0];
  return requireOrSkip(context, `${name} is not installed`, installHint(name));
}

function listDirectory(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function installHint(name: string): string {
  const fix = INSTALL[name];
  if (fix === undefined) throw new Error(`say how to install ${name} in test/support/tools.ts (INSTALL)`);
  return fix;
}

/** A test that only runs on one kind of host (see `requireOrSkip`): CI is linux/amd64. */
export function needHost(
  context: Skippable,
  host: { platform?: NodeJS.Platform; arch?: NodeJS.Architecture },
): void {
  if (
    (host.platform ?? process.platform) === process.platform &&
    (host.arch ?? process.arch) === process.arch
  )
    return;
  const wanted = [host.platform, host.arch].filter(Boolean).join('/');
  requireOrSkip(
    context,
    `needs a ${wanted} host, this one is ${process.platform}/${process.arch}`,
    `run it on ${wanted}`,
  );
}

/**
 * The environment for running `wine cmd` in tests: a prefix of the tests' own, never the user's ~/.wine,
 * named after the Wine that boots it. With Debian's wine32 added after a prefix was made, `wine` takes the
 * 32-bit loader, which cannot start in that prefix ("could not load kernel32.dll"); src/run/script.ts
 * does the same for xcc's runners.
 */
export function testWineEnv(cacheDir: string): NodeJS.ProcessEnv {
  const version = spawnSync('wine', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const loaders = ['/usr/lib/wine/wine', '/usr/lib/wine/wine64'].filter((file) => existsSync(file));
  const id = createHash('sha256')
    .update(`${version} ${loaders.join(' ')}`)
    .digest('hex')
    .slice(0, 12);
  return {
    WINEPREFIX: path.join(cacheDir, `wine-cmd-${id}`),
    WINEDEBUG: '-all',
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  };
}
