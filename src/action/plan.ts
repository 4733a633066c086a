import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { parseTargetSpecs } from '../cli/target-spec.js';
import { UsageError } from '../errors.js';
import { type Env, xccHome } from '../home.js';
import { resolveTarget, type TargetRequest } from '../resolve/index.js';
import { chooseZig, exactZigVersion, namingZigVersion, type ZigChoice } from '../toolchain/zig-choice.js';
import { zigHostKey } from '../zig/host.js';
import { parseVersionSpec } from '../zig/releases/releases.js';
import { readBooleanInput, readInput } from './runner.js';

/**
 * The Action's inputs, as action.yml declares them; a test holds the two together (test/action/).
 * - `targets`: targets with their options (`linux/amd64 --glibc=2.28`, see cli/target-spec.ts), default the
 *   project's (xcc.json);
 * - `zig-version`: a Zig version spec, default the project's lock, then its config, then xcc's pinned Zig;
 * - `cache`: whether actions/cache keeps xcc's directory between runs (default true);
 * - `working-directory`: where the project (xcc.json, xcc.lock.json) is looked for.
 */
export const ACTION_INPUTS = ['targets', 'zig-version', 'cache', 'working-directory'] as const;

/** What both steps of the Action compute from the inputs alone, without the network. */
export interface ActionPlan {
  cwd: string;
  /** The `zig-version` input, undefined when empty (the project chooses). */
  spec: string | undefined;
  choice: ZigChoice;
  requests: TargetRequest[];
  /** The resolved ids (`linux-arm64-musl`), in the order of `requests`. */
  ids: string[];
  /** XCC_HOME: the Zig installs, the wrappers and zig's build cache; what actions/cache keeps. */
  home: string;
  cache: boolean;
  /** `xcc-zig-<version>-<os>-<arch>-<targets hash>`: a new entry when the Zig or the targets change. */
  cacheKey: string;
  /** The key without the targets' hash: a run with other targets still restores the Zig and libcs. */
  restoreKey: string;
}

export function actionPlan(env: Env): ActionPlan {
  const cwd = path.resolve(readInput(env, 'working-directory') || '.');
  if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(
      `input 'working-directory': ${cwd} is not a directory; name the project's directory`,
    );
  const spec = readInput(env, 'zig-version') || undefined;
  // Checked here, before the cache step: the installer would refuse it only in the setup step.
  try {
    parseVersionSpec(spec);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`input 'zig-version': ${error.message}`);
    throw error;
  }
  const cache = readBooleanInput(env, 'cache', true);
  const choice = chooseZig({ spec, cwd, host: zigHostKey(), env });
  const given = parseTargetSpecs(readInput(env, 'targets'), "input 'targets'");
  const requests = given.length > 0 ? given : (choice.config?.targets ?? []);
  if (requests.length === 0)
    throw new UsageError(
      choice.config === undefined
        ? "no targets: set the input 'targets' (targets: linux/arm64) or list them in the project's xcc.json"
        : `no targets: set the input 'targets' (targets: linux/arm64) or list them in ${choice.config.file}`,
    );
  // Every target is checked here, before actions/cache restores anything or a Zig is downloaded.
  const zigVersion = namingZigVersion(choice);
  const ids = requests.map((request) => resolveTarget(request, { zigVersion }).id);
  const home = env.XCC_HOME
    ? path.resolve(env.XCC_HOME)
    : env.RUNNER_TOOL_CACHE
      ? path.join(env.RUNNER_TOOL_CACHE, 'xcc')
      : xccHome(env);
  // A range (`0.15`, `latest`) stays in the key as written: the key changes when the spec does.
  const version = keyText(exactZigVersion(choice) ?? choice.spec ?? 'default');
  const runner = `${keyText(env.RUNNER_OS ?? process.platform)}-${keyText(env.RUNNER_ARCH ?? process.arch)}`;
  const targets = createHash('sha256')
    .update(JSON.stringify(requests.map((request) => JSON.stringify(request)).sort()))
    .digest('hex')
    .slice(0, 16);
  const restoreKey = `xcc-zig-${version}-${runner}-`;
  return { cwd, spec, choice, requests, ids, home, cache, cacheKey: `${restoreKey}${targets}`, restoreKey };
}

/** actions/cache keys may not hold commas; keep them to plain characters. */
function keyText(text: string): string {
  return text.replace(/[^A-Za-z0-9._+-]/g, '_');
}
