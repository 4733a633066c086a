import { type Clock, systemClock } from '../clock.js';
import { type Env, xccHome } from '../home.js';
import type { TargetRequest } from '../resolve/index.js';
import type { InstallEventHandler } from '../zig/events.js';
import type { LockedArtifacts } from '../zig/locked.js';
import { checkCache } from './cache.js';
import { type CheckResult, type CheckStatus, type CommandRunner, runCommand } from './check.js';
import { checkGo, checkGoEnv } from './go.js';
import { checkNetwork, escalateUnreachable } from './network.js';
import { checkRunner } from './runner.js';
import { checkTarget } from './target.js';
import { checkZig } from './zig.js';

export type { CheckResult, CheckStatus, CommandResult, CommandRunner } from './check.js';

/**
 * `xcc doctor`: the whole chain, checked in the order a build walks it (Go and its settings, Zig, the
 * cache, the network, then a real build per target and how its programs run here), each check saying what
 * it found and what fixes it.
 */

/** Bumped only when a field of the `--json` shape changes meaning or goes away. */
export const DOCTOR_REPORT_VERSION = 1;

export interface DoctorOptions {
  env?: Env;
  /** Where `go` runs for the Go checks (the project, whose go.mod may pick a toolchain). */
  cwd?: string;
  /** Defaults to `xccHome(env)`. */
  home?: string;
  /** Each gets a real build; none: no build checks. */
  targets?: readonly TargetRequest[];
  /** The Zig spec builds here use (`--zig`, lock file, project config); undefined: xcc's default. */
  zigSpec?: string;
  locked?: LockedArtifacts;
  platform?: NodeJS.Platform;
  arch?: string;
  clock?: Clock;
  run?: CommandRunner;
  /** Per-probe network timeout. */
  networkTimeoutMs?: number;
  /** Where the build checks write their probe module (a temp dir inside it). */
  tmpDir?: string;
  /** Told each check as soon as it is done, in report order, so a CLI can print as it goes. */
  onCheck?: (check: CheckResult) => void;
  /** Provisioning progress (a Zig download during a build check). */
  onEvent?: InstallEventHandler;
}

export interface DoctorReport {
  version: typeof DOCTOR_REPORT_VERSION;
  /** True when no check failed (warnings and skips do not make it false). */
  ok: boolean;
  counts: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const home = options.home ?? xccHome(env);
  const clock = options.clock ?? systemClock;
  const run = options.run ?? runCommand;
  const platform = options.platform ?? process.platform;
  const checks: CheckResult[] = [];
  const report = (...done: CheckResult[]) => {
    for (const check of done) {
      checks.push(check);
      options.onCheck?.(check);
    }
  };

  const go = await checkGo({ env, cwd: options.cwd, run, clock });
  report(go.check);
  if (go.facts) report(...checkGoEnv(env, go.facts));
  const zig = await checkZig({
    env,
    home,
    spec: options.zigSpec,
    locked: options.locked,
    platform,
    run,
    clock,
  });
  report(...zig);
  report(...(await checkCache(env)));
  const zigMissing = zig.some((check) => check.id === 'zig' && check.status === 'warn');
  const network = await checkNetwork({
    env,
    home,
    spec: options.zigSpec,
    platform,
    arch: options.arch ?? process.arch,
    clock,
    timeoutMs: options.networkTimeoutMs,
  });
  report(...escalateUnreachable(network, zigMissing));
  for (const request of options.targets ?? []) {
    report(
      go.facts === undefined
        ? {
            id: `target:${request.target}`,
            title: `build ${request.target}`,
            status: 'skip',
            detail: 'no Go to build with (see the Go check)',
          }
        : await checkTarget({
            request,
            env,
            home,
            spec: options.zigSpec,
            locked: options.locked,
            run,
            clock,
            onEvent: options.onEvent,
            tmpDir: options.tmpDir,
          }),
    );
    const built = checks.at(-1)?.status === 'pass';
    if (built) {
      const { locked, zigSpec: spec } = options;
      report(await checkRunner({ request, env, home, spec, locked, run }));
    }
  }
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const check of checks) counts[check.status]++;
  return { version: DOCTOR_REPORT_VERSION, ok: counts.fail === 0, counts, checks };
}
