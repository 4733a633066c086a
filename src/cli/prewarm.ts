import { UsageError } from '../errors.js';
import type { TargetRequest } from '../resolve/index.js';
import { parsePlatform } from '../resolve/platform.js';
import type { PrewarmEvent, PrewarmLanguage } from '../toolchain/prewarm.js';
import type { Zig } from '../zig/install.js';
import { formatDuration } from './format.js';
import type { Reporter } from './progress.js';

/**
 * `xcc install --prewarm T1,T2`: provision each target's wrappers with the Zig just installed, then
 * build their runtime libraries into zig's cache, several targets at once, a line on stderr per step.
 */
export async function prewarmTargets(options: {
  targets: string[];
  cxx: boolean;
  zig: Zig;
  reporter: Reporter;
  quiet: boolean;
}): Promise<string[]> {
  const [{ provision }, { prewarm }] = await Promise.all([
    import('../toolchain/provision.js'),
    import('../toolchain/prewarm.js'),
  ]);
  const toolchains = [];
  for (const target of options.targets) {
    const request: TargetRequest = { target };
    toolchains.push(
      await provision({ target: request, zigInstall: options.zig, onEvent: options.reporter.handle }),
    );
  }
  const languages: PrewarmLanguage[] = options.cxx ? ['c', 'c++'] : ['c'];
  await prewarm({ toolchains, languages, onEvent: options.quiet ? undefined : printEvent });
  return toolchains.map((toolchain) => toolchain.target.id);
}

function printEvent(event: PrewarmEvent): void {
  const text =
    event.type === 'prewarm-start'
      ? `prewarming ${event.target} (${event.languages.map((language) => language.toUpperCase()).join(', ')} runtime libraries)`
      : `prewarmed ${event.target} in ${formatDuration(event.durationMs)}`;
  process.stderr.write(`xcc: ${text}\n`);
}

/** `--prewarm a,b --prewarm c` → `[a, b, c]`, without empty names. */
export function prewarmList(values: string[] | undefined, cxx: boolean): string[] {
  if (cxx && values === undefined)
    throw new UsageError('--cxx says what --prewarm builds; add --prewarm <targets>');
  const targets = (values ?? [])
    .flatMap((value) => value.split(','))
    .map((name) => name.trim())
    .filter(Boolean);
  if (values !== undefined && targets.length === 0)
    throw new UsageError('--prewarm names no target; give targets like --prewarm linux/arm64,windows/amd64');
  // A target that does not parse is refused now, not after the Zig is downloaded.
  for (const target of targets) parsePlatform(target);
  return targets;
}
