import { UsageError } from '../errors.js';
import { xccHome } from '../home.js';
import { resolveTarget, type TargetRequest } from '../resolve/index.js';
import {
  checkDistinct,
  type Dispatcher,
  dispatchEntry,
  dispatchKey,
  writeDispatcher,
} from '../toolchain/dispatch.js';
import { hostCompilers, type SetupValues } from '../toolchain/go-env.js';
import { findProjectConfig } from '../toolchain/project-config.js';
import { projectToolchain } from '../toolchain/project-toolchain.js';
import { chooseZig, namingZigVersion } from '../toolchain/zig-choice.js';
import { zigHostKey } from '../zig/host.js';
import type { Reporter } from './progress.js';
import { targetRequest } from './target-options.js';

/**
 * What `xcc dispatch` and `xcc setup` share: the targets (named, else the project's xcc.json), each
 * provisioned now (the dispatcher runs no Node at compile time, so nothing can be installed then), and
 * the dispatcher over their wrappers, with the host's own compilers to fall through to.
 */
export async function provisionDispatcher(options: {
  targets: string[];
  zig: string | undefined;
  reporter: Reporter;
  command: string;
  /** xcc setup: what the go env file held before it, whose CC the host keeps. */
  previous?: SetupValues;
}): Promise<Dispatcher> {
  if (process.platform === 'win32') {
    throw new UsageError(
      `${options.command} writes a sh script, which Go cannot run as CC on Windows; use 'xcc env' or 'xcc exec' per target`,
    );
  }
  const requests = targetRequests(options.targets, options.command);
  // Bad targets, and targets one CC cannot tell apart, are refused before anything is downloaded.
  const zigVersion = namingZigVersion(chooseZig({ spec: options.zig, host: zigHostKey() }));
  checkDistinct(requests.map((request) => dispatchKey(resolveTarget(request, { zigVersion }))));
  const home = xccHome();
  // Go first: without it there is nothing to dispatch for, and that is found in a moment.
  const host = await hostCompilers({ env: process.env, home, previous: options.previous });
  const entries = [];
  for (const request of requests) {
    const { target, tools } = await projectToolchain({
      target: request,
      spec: options.zig,
      onEvent: options.reporter.handle,
    });
    entries.push(dispatchEntry(target, tools));
  }
  return writeDispatcher({ home, entries, host, command: options.command });
}

function targetRequests(targets: string[], command: string): TargetRequest[] {
  if (targets.length > 0) return targets.map((target) => targetRequest(target, {}));
  const config = findProjectConfig();
  if (config === undefined || config.targets.length === 0) {
    throw new UsageError(
      `name the targets, like '${command} linux/arm64 windows/amd64', or list them in xcc.json ("targets")`,
    );
  }
  return config.targets;
}
