import { execFile } from 'node:child_process';

/** cmd/go's DefaultCFLAGS: what CGO_CFLAGS, CGO_CXXFLAGS and CGO_LDFLAGS are when unset; setting one replaces it. */
export const GO_DEFAULT_CGO_FLAGS = '-O2 -g';

const CGO_FLAG_NAMES = ['CGO_CFLAGS', 'CGO_CXXFLAGS', 'CGO_LDFLAGS'] as const;
export type CgoFlags = Record<(typeof CGO_FLAG_NAMES)[number], string>;

/**
 * The C flags go will build with, as `go env` reports them: the variable when it is set and not empty,
 * else the go env file's (`go env -w CGO_LDFLAGS=...`), else Go's default. Reading only the environment
 * gets two cases wrong: a value in the go env file, and an empty variable (go takes its default then).
 * When go cannot say (missing, or a broken go.mod in `cwd`), the environment's reading stands: the build
 * that follows fails on the same thing and says so.
 */
export async function goCgoFlags(
  env: NodeJS.ProcessEnv,
  options: { go?: string; cwd?: string } = {},
): Promise<CgoFlags> {
  const fromEnv = Object.fromEntries(
    CGO_FLAG_NAMES.map((name) => [name, env[name] || GO_DEFAULT_CGO_FLAGS]),
  ) as CgoFlags;
  const output = await new Promise<string | undefined>((resolve) => {
    execFile(
      options.go ?? 'go',
      ['env', '-json', ...CGO_FLAG_NAMES],
      { env, cwd: options.cwd, timeout: 60_000, encoding: 'utf8' },
      (error, stdout) => resolve(error ? undefined : stdout),
    );
  });
  if (output === undefined) return fromEnv;
  try {
    const reported = JSON.parse(output) as Record<string, unknown>;
    const flags = { ...fromEnv };
    for (const name of CGO_FLAG_NAMES) {
      const value = reported[name];
      if (typeof value === 'string') flags[name] = value;
    }
    return flags;
  } catch {
    return fromEnv;
  }
}

/** Link flags without `-g` (any level: `-g`, `-g2`, `-ggdb`), which is what makes lld-link's output vary. */
export function withoutDebug(flags: string): string {
  return flags
    .split(/\s+/)
    .filter((flag) => flag !== '' && !/^-g(?!0$)/.test(flag))
    .join(' ');
}
