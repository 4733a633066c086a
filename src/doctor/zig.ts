import { UnsafeCacheError } from '../cache-safety.js';
import type { Clock } from '../clock.js';
import type { Env } from '../home.js';
import { zigConfig } from '../zig/distribution.js';
import type { LockedArtifacts } from '../zig/locked.js';
import { parseVersionSpec } from '../zig/releases/releases.js';
import { type ListedInstall, openStore } from '../zig/store/store.js';
import { firstDifferences, reinstallCommand, verifyInstallFiles } from '../zig/verify/install-manifest.js';
import { zigExecutable } from '../zig/verify/zig-binary.js';
import { type CheckResult, type CommandRunner, firstLine, timed } from './check.js';

/**
 * The Zig side: which Zig xcc will use here, and whether every installed one still runs and is the
 * version its directory says. An install only exists once its bytes were verified (sha256 and minisign)
 * and `zig version` matched, so its marker file is the verification record shown here.
 */

export interface ZigCheckOptions {
  env: Env;
  home: string;
  /** The spec xcc would use here (`--zig`, the lock file, the project config); undefined: the pinned default. */
  spec: string | undefined;
  locked: LockedArtifacts | undefined;
  platform: NodeJS.Platform;
  run: CommandRunner;
  clock: Clock;
}

export async function checkZig(options: ZigCheckOptions): Promise<CheckResult[]> {
  const { env } = options;
  if (env.XCC_ZIG) return [await adoptedZigCheck(env.XCC_ZIG, options)];
  let installs: ListedInstall[];
  try {
    installs = await openStore({ home: options.home, env, platform: options.platform }).list();
  } catch (error) {
    // The rest of the report is still worth having; builds through xcc refuse this cache.
    if (!(error instanceof UnsafeCacheError)) throw error;
    return [{ id: 'zig', title: 'Zig', status: 'fail', detail: error.problem, fix: error.fix }];
  }
  const checks = [choiceCheck(installs, options)];
  for (const install of installs) {
    const files = await filesCheck(install, options);
    // A Zig whose files changed since they were verified is not run, not even for 'zig version'.
    checks.push(files.status === 'fail' ? notRunCheck(install) : await installCheck(install, options), files);
  }
  return checks;
}

/** XCC_ZIG points at a Zig xcc did not download: it runs, or it does not. */
async function adoptedZigCheck(zig: string, options: ZigCheckOptions): Promise<CheckResult> {
  const [result, durationMs] = await timed(options.clock, () =>
    options.run(zig, ['version'], { env: options.env, timeoutMs: 60_000 }),
  );
  if (result.exitCode === 0) {
    return {
      id: 'zig',
      title: 'Zig',
      status: 'pass',
      detail: `XCC_ZIG=${zig}: Zig ${result.stdout.trim()} (your own Zig: xcc does not download or verify it)`,
      durationMs,
    };
  }
  return {
    id: 'zig',
    title: 'Zig',
    status: 'fail',
    detail: `XCC_ZIG=${zig}: 'zig version' failed: ${result.problem ?? firstLine(result.stderr)}`,
    fix: 'point XCC_ZIG at a zig executable, or unset it to let xcc provide a verified Zig',
    durationMs,
  };
}

/** The Zig builds here will use, and whether it is installed already. */
function choiceCheck(installs: readonly ListedInstall[], options: ZigCheckOptions): CheckResult {
  const spec = parseVersionSpec(options.spec);
  const from = options.locked
    ? ' (pinned by xcc.lock.json)'
    : options.spec === undefined
      ? " (xcc's default)"
      : '';
  const version =
    spec.kind === 'default'
      ? zigConfig().defaultVersion
      : spec.kind === 'exact' || spec.kind === 'dev'
        ? spec.version
        : undefined;
  const installed = installs.map((install) => install.version);
  if (version === undefined) {
    return {
      id: 'zig',
      title: 'Zig',
      status: 'pass',
      detail: `Zig '${options.spec}' is resolved when a build needs it; installed: ${installed.join(', ') || 'none'}`,
    };
  }
  const install = installs.find((candidate) => candidate.version === version);
  if (install === undefined) {
    return {
      id: 'zig',
      title: 'Zig',
      status: 'warn',
      detail: `Zig ${version}${from} is not installed: the first build downloads it (about 50 MB; see the network checks)`,
      fix: `xcc install ${version}`,
    };
  }
  const locked = options.locked;
  if (locked && install.marker.sha256 !== locked.sha256 && install.marker.sha256 !== locked.pypi?.sha256) {
    return {
      id: 'zig',
      title: 'Zig',
      status: 'fail',
      detail: `Zig ${version} in the cache came from bytes (sha256 ${install.marker.sha256.slice(0, 12)}...) that xcc.lock.json does not name`,
      fix: "xcc prune --all, then xcc install (or run 'xcc lock' again if the lock is out of date)",
    };
  }
  return {
    id: 'zig',
    title: 'Zig',
    status: 'pass',
    detail: `Zig ${version}${from} is installed (${install.dir})`,
  };
}

/** Every file of an install is what was verified (install-manifest.ts): the full check, about a second. */
async function filesCheck(install: ListedInstall, options: ZigCheckOptions): Promise<CheckResult> {
  const [verdict, durationMs] = await timed(options.clock, () =>
    verifyInstallFiles(install.dir, install.marker),
  );
  const id = `zig-files:${install.version}`;
  const title = `Zig ${install.version} files`;
  const fix = reinstallCommand(install.version);
  if (verdict.kind === 'verified') {
    const detail = `all ${verdict.entries} entries are as verified at install (sha256 of every file, modes, no file added)`;
    return { id, title, status: 'pass', detail, durationMs };
  }
  if (verdict.kind === 'unrecorded') {
    const detail = `cannot be checked: ${verdict.reason}; xcc uses it as it is`;
    return { id, title, status: 'warn', detail, fix, durationMs };
  }
  const detail = `changed after xcc verified it, so xcc refuses to use it: ${firstDifferences(verdict.differences, 3)}`;
  return { id, title, status: 'fail', detail, fix, durationMs };
}

function notRunCheck(install: ListedInstall): CheckResult {
  return {
    id: `zig:${install.version}`,
    title: `Zig ${install.version}`,
    status: 'skip',
    detail: `'zig version' not run: the install changed after it was verified (see the files check)`,
  };
}

/** An installed Zig runs and says the version it is filed under. */
async function installCheck(install: ListedInstall, options: ZigCheckOptions): Promise<CheckResult> {
  const zig = zigExecutable(install.dir, options.platform);
  const [result, durationMs] = await timed(options.clock, () =>
    options.run(zig, ['version'], { env: options.env, timeoutMs: 60_000 }),
  );
  const { marker } = install;
  const record = `verified sha256 ${marker.sha256.slice(0, 12)}... from ${marker.source}, installed ${marker.installedAt.slice(0, 10)}`;
  const id = `zig:${install.version}`;
  const title = `Zig ${install.version}`;
  const actual = result.stdout.trim();
  if (result.exitCode === 0 && actual === install.version) {
    return { id, title, status: 'pass', detail: `'zig version' prints ${actual}; ${record}`, durationMs };
  }
  const problem =
    result.exitCode === 0
      ? `'zig version' prints ${JSON.stringify(actual)}, not ${install.version}`
      : `'zig version' failed: ${result.problem ?? firstLine(result.stderr)}`;
  return {
    id,
    title,
    status: 'fail',
    detail: `${zig}: ${problem} (the install is damaged; ${record})`,
    fix: reinstallCommand(install.version),
    durationMs,
  };
}
