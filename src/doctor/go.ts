import { readFile } from 'node:fs/promises';
import type { Clock } from '../clock.js';
import type { Env } from '../home.js';
import { compareDottedVersions } from '../inspect/facts.js';
import { type CheckResult, type CommandRunner, firstLine, timed } from './check.js';

/**
 * Go on PATH and the settings in its environment that defeat a cgo cross-build. A setting is looked up
 * where Go looks: the process environment first, then the per-user go env file (`go env -w`), so the
 * fix names the place it came from (`unset CC` or `go env -u CC`).
 */

/**
 * Go 1.18 is the oldest Go xcc works with: it splits a quoted CC (cmd/internal/quoted; xcc quotes its
 * wrapper path when the cache path holds a space), it knows GOAMD64, and it records the build settings
 * (CGO_ENABLED, GOARM...) that `xcc inspect` and the target checks read back from the binary.
 */
export const MINIMUM_GO = '1.18';

export interface GoFacts {
  /** `go1.26.8`. */
  version: string;
  /** `go env -json`: effective values. */
  env: Record<string, string>;
  /** The per-user go env file's settings (`go env -w`), empty when there is none. */
  file: Record<string, string>;
}

export interface GoCheckOptions {
  env: Env;
  cwd?: string;
  run: CommandRunner;
  clock: Clock;
}

/** The `go` check and, when Go runs, the facts the other Go checks read. */
export async function checkGo(
  options: GoCheckOptions,
): Promise<{ check: CheckResult; facts: GoFacts | undefined }> {
  const { env, cwd, run } = options;
  const [version, durationMs] = await timed(options.clock, () =>
    run('go', ['version'], { env, cwd, timeoutMs: 60_000 }),
  );
  const title = 'Go';
  if (version.exitCode !== 0) {
    const why = version.problem ?? firstLine(version.stderr);
    return {
      check: {
        id: 'go',
        title,
        status: 'fail',
        detail: `'go version' failed: ${why}`,
        fix: 'install Go (https://go.dev/dl/) and put its bin directory on PATH',
        durationMs,
      },
      facts: undefined,
    };
  }
  const line = version.stdout.trim();
  const goVersion = /\bgo(\d+(?:\.\d+)*)/.exec(line)?.[1];
  const goEnv = await run('go', ['env', '-json'], { env, cwd, timeoutMs: 60_000 });
  const effective = goEnv.exitCode === 0 ? (JSON.parse(goEnv.stdout) as Record<string, string>) : {};
  const facts = {
    version: `go${goVersion ?? '?'}`,
    env: effective,
    file: await readGoEnvFile(effective.GOENV),
  };
  const where = effective.GOROOT ? ` (GOROOT ${effective.GOROOT})` : '';
  if (goVersion === undefined || compareDottedVersions(goVersion, MINIMUM_GO) < 0) {
    return {
      check: {
        id: 'go',
        title,
        status: 'fail',
        detail: `${line}${where}: xcc needs Go ${MINIMUM_GO} or newer (quoted CC paths, GOAMD64, build settings in binaries)`,
        fix: `install Go ${MINIMUM_GO} or newer from https://go.dev/dl/`,
        durationMs,
      },
      facts,
    };
  }
  return { check: { id: 'go', title, status: 'pass', detail: `${line}${where}`, durationMs }, facts };
}

/** `KEY=VALUE` lines of the go env file, as `go env -w` writes them. */
async function readGoEnvFile(file: string | undefined): Promise<Record<string, string>> {
  if (!file || file === 'off') return {};
  const text = await readFile(file, 'utf8').catch(() => '');
  const settings: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) settings[match[1]!] = match[2]!;
  }
  return settings;
}

interface Setting {
  name: string;
  value: string;
  /** `the environment` or `go env -w`. */
  from: 'environment' | 'go env file';
}

/** Where Go takes a setting from, when the user set it: the environment wins over the go env file. */
function userSetting(name: string, env: Env, facts: GoFacts): Setting | undefined {
  const fromEnv = env[name];
  if (fromEnv !== undefined && fromEnv !== '') return { name, value: fromEnv, from: 'environment' };
  const fromFile = facts.file[name];
  if (fromFile !== undefined && fromFile !== '') return { name, value: fromFile, from: 'go env file' };
  return undefined;
}

function unsetFix(setting: Setting): string {
  return setting.from === 'go env file' ? `go env -u ${setting.name}` : `unset ${setting.name}`;
}

function origin(setting: Setting): string {
  return setting.from === 'go env file' ? 'set with go env -w' : 'set in the environment';
}

/**
 * GOFLAGS that take the C toolchain or the external linker away from xcc's wrappers. xcc env/exec pass
 * GOFLAGS through, so these break builds through xcc too.
 */
const DEFEATING_GOFLAGS: Array<{ pattern: RegExp; why: string }> = [
  {
    pattern: /-linkmode[= ]internal/,
    why: "-linkmode=internal links cgo code with Go's own linker, not zig",
  },
  { pattern: /-extld[= ]/, why: '-extld replaces the external linker (zig cc) with another' },
  { pattern: /-compiler[= ]gccgo/, why: '-compiler=gccgo builds with gccgo, which xcc does not drive' },
  {
    pattern: /(^|\s)-(race|msan|asan)\b/,
    why: 'sanitizers need runtime libraries zig does not provide for other targets',
  },
];

/** Flags in CGO_*FLAGS that only make sense for the host: they reach every target's compiler. */
const HOST_FLAG = /(^|\s)(-[IL]\s*\/|-isystem\s*\/|--sysroot|-march=|-mcpu=|-mtune=|-m32\b|-m64\b)/;

const CGO_FLAG_VARIABLES = ['CGO_CFLAGS', 'CGO_CPPFLAGS', 'CGO_CXXFLAGS', 'CGO_LDFLAGS'];

/** One check per setting that can defeat a cross-build; a single pass when there is none. */
export function checkGoEnv(env: Env, facts: GoFacts): CheckResult[] {
  const checks = [
    cgoEnabledCheck(env, facts),
    ...['CC', 'CXX'].map((name) => compilerCheck(name, env, facts)),
    ...['GOOS', 'GOARCH'].map((name) => targetCheck(name, env, facts)),
    goflagsCheck(env, facts),
    ...CGO_FLAG_VARIABLES.map((name) => cgoFlagsCheck(name, env, facts)),
  ].filter((check) => check !== undefined);
  if (checks.length > 0) return checks;
  return [
    {
      id: 'go-env',
      title: 'go env',
      status: 'pass',
      detail: `nothing set that defeats a cross-build (checked CGO_ENABLED, CC, CXX, GOOS, GOARCH, GOFLAGS, ${CGO_FLAG_VARIABLES.join(', ')} in the environment and ${facts.env.GOENV || 'the go env file'})`,
    },
  ];
}

function cgoEnabledCheck(env: Env, facts: GoFacts): CheckResult | undefined {
  const setting = userSetting('CGO_ENABLED', env, facts);
  if (setting?.value !== '0') return undefined;
  return {
    id: 'go-env:CGO_ENABLED',
    title: 'go env CGO_ENABLED',
    status: 'warn',
    detail:
      `CGO_ENABLED=0 ${origin(setting)}: xcc env/exec override it, but any other go build leaves C code out ` +
      `(pure-Go net and os/user; packages that need C fail with "undefined: ..." or "build constraints exclude all Go files")`,
    fix: unsetFix(setting),
  };
}

function compilerCheck(name: string, env: Env, facts: GoFacts): CheckResult | undefined {
  const setting = userSetting(name, env, facts);
  if (setting === undefined) return undefined;
  return {
    id: `go-env:${name}`,
    title: `go env ${name}`,
    status: 'warn',
    detail:
      `${name}=${setting.value} ${origin(setting)}: it applies to every GOOS/GOARCH, so a cross-build outside ` +
      `xcc env/exec hands target code to a host compiler (e.g. "gcc: error: unrecognized command-line option '-marm'")`,
    fix: unsetFix(setting),
  };
}

function targetCheck(name: string, env: Env, facts: GoFacts): CheckResult | undefined {
  const setting = userSetting(name, env, facts);
  if (setting === undefined || setting.from === 'environment') return undefined;
  return {
    id: `go-env:${name}`,
    title: `go env ${name}`,
    status: 'warn',
    detail: `${name}=${setting.value} ${origin(setting)}: every go build and go run targets it, so programs built for this machine fail with "exec format error"`,
    fix: unsetFix(setting),
  };
}

function goflagsCheck(env: Env, facts: GoFacts): CheckResult | undefined {
  const setting = userSetting('GOFLAGS', env, facts);
  if (setting === undefined) return undefined;
  const problems = DEFEATING_GOFLAGS.filter(({ pattern }) => pattern.test(setting.value));
  if (problems.length === 0) return undefined;
  return {
    id: 'go-env:GOFLAGS',
    title: 'go env GOFLAGS',
    status: 'fail',
    detail: `GOFLAGS="${setting.value}" ${origin(setting)}: ${problems.map((problem) => problem.why).join('; ')}`,
    fix:
      setting.from === 'go env file'
        ? `go env -u GOFLAGS (or go env -w GOFLAGS=... without ${problems.length > 1 ? 'those flags' : 'that flag'})`
        : `unset GOFLAGS (or set it without ${problems.length > 1 ? 'those flags' : 'that flag'})`,
  };
}

function cgoFlagsCheck(name: string, env: Env, facts: GoFacts): CheckResult | undefined {
  const setting = userSetting(name, env, facts);
  if (setting === undefined || !HOST_FLAG.test(setting.value)) return undefined;
  return {
    id: `go-env:${name}`,
    title: `go env ${name}`,
    status: 'warn',
    detail: `${name}="${setting.value}" ${origin(setting)}: host paths or CPU flags reach every target's C compiler, zig cc included`,
    fix: `${unsetFix(setting)} (put target-specific flags in #cgo directives or set them per build)`,
  };
}
