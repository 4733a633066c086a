import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { run as runSync } from '../support/builds.js';
import { hasCommand } from '../support/tools.js';
import type { Runner } from './matrix.js';

/**
 * Running cross-built programs on this linux/amd64 host: natively, under QEMU user mode, or under Wine.
 * `missing` says which prerequisite is absent, so the test can skip (or fail under XCC_E2E=require).
 */

export interface Invocation {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** What is missing to use this runner, or null when everything is there. */
export function missingForRunner(runner: Runner): string | null {
  switch (runner.kind) {
    case 'native':
    case 'none':
      return null;
    case 'qemu': {
      if (!hasCommand(qemuCommand(runner.arch)))
        return `${qemuCommand(runner.arch)} is not installed (qemu-user-static)`;
      if (runner.sysroot !== undefined && !existsSync(path.join(runner.sysroot, 'lib')))
        return `${runner.sysroot} is missing (Debian's libc6-*-cross package for this architecture)`;
      return null;
    }
    case 'wine':
      return hasCommand('wine') ? null : 'wine is not installed';
  }
}

function qemuCommand(arch: string): string {
  return `qemu-${arch}-static`;
}

/** The command that runs `program args...` with the runner; `env` is added to the test's environment. */
export function invocation(
  runner: Runner,
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  wine?: WinePrefix,
): Invocation {
  switch (runner.kind) {
    case 'native':
      return { command: program, args, env };
    case 'qemu': {
      const options = [
        ...(runner.cpu === undefined ? [] : ['-cpu', runner.cpu]),
        ...(runner.sysroot === undefined ? [] : ['-L', runner.sysroot]),
      ];
      return { command: qemuCommand(runner.arch), args: [...options, program, ...args], env };
    }
    case 'wine': {
      if (wine === undefined) throw new Error('a wine runner needs a prefix (prepareWinePrefix)');
      return { command: 'wine', args: [program, ...args], env: { ...env, ...wine.env } };
    }
    case 'none':
      throw new Error(`cannot run: ${runner.reason}`);
  }
}

export interface WinePrefix {
  env: NodeJS.ProcessEnv;
}

/**
 * A private 64-bit Wine prefix with the ProcessPrng stub in system32 (fixtures/wine/bcryptprimitives.c:
 * Wine 8 lacks it and Go >= 1.24 aborts without it; Go loads it from system32 only). The prefix lives in
 * the test cache (wineboot takes a while); the stub is copied in every time, so a changed stub is used.
 */
export async function prepareWinePrefix(dir: string, stubDll: string): Promise<WinePrefix> {
  const env: NodeJS.ProcessEnv = {
    WINEPREFIX: dir,
    WINEARCH: 'win64',
    WINEDEBUG: '-all',
    // No Mono/Gecko installer dialogs, no display: these runs are console programs only.
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
    DISPLAY: '',
  };
  const system32 = path.join(dir, 'drive_c', 'windows', 'system32');
  if (!existsSync(system32)) {
    await mkdir(dir, { recursive: true });
    const boot = runSync('wineboot', ['--init'], { env: { ...process.env, ...env } });
    if (boot.status !== 0 || !existsSync(system32))
      throw new Error(`wineboot --init failed (${boot.status}): ${boot.stderr.slice(-2000)}`);
  }
  await copyFile(stubDll, path.join(system32, 'bcryptprimitives.dll'));
  return { env };
}
