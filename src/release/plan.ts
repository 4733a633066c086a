import { execFile } from 'node:child_process';
import path from 'node:path';
import { UsageError, XccError } from '../errors.js';
import { goBuildMode } from '../go-build-mode.js';
import { resolveTarget, type Target, type TargetRequest } from '../resolve/index.js';
import { findProjectConfig } from '../toolchain/project-config.js';
import { chooseZig, namingZigVersion } from '../toolchain/zig-choice.js';
import { zigHostKey } from '../zig/host.js';
import { GO_DEFAULT_CGO_FLAGS, withoutDebug } from './cgo-flags.js';
import {
  artifactName,
  checkDistinctNames,
  checkNameTemplate,
  DEFAULT_NAME_TEMPLATE,
  defaultArtifactName,
} from './names.js';
import { formatShard, type Shard, shardItems } from './shard.js';

/**
 * The flags of a release build, the one home of them: no paths of the build machine in the binary
 * (`-trimpath`), no VCS stamp that differs between a checkout and a tarball (`-buildvcs=false`), no symbol
 * table or DWARF (`-s -w`) and no build ID, which hashes the inputs' paths (`-buildid=`). The user's own
 * `-ldflags` are appended to `ldflags`, so theirs come last and win (`-s=false` keeps the symbols).
 */
export const RELEASE_FLAGS = {
  flags: ['-trimpath', '-buildvcs=false'],
  ldflags: '-s -w -buildid=',
} as const;

export interface PlannedTarget {
  request: TargetRequest;
  target: Target;
  /** The artifact's file name in the output directory. */
  file: string;
}

export interface ReleasePlan {
  /** Absolute: the directory go build runs in. */
  dir: string;
  /** Absolute. */
  outDir: string;
  /** `<name>` of the file names. */
  name: string;
  /** The packages given to go build (default `.`). */
  packages: string[];
  /** This shard's targets, sorted by id (all of them without a shard). */
  targets: PlannedTarget[];
  /** Every target of the build before sharding, sorted by id. */
  allTargets: number;
  shard: string | undefined;
}

export interface PlanOptions {
  /** The targets; default: the project's (`xcc.json` or package.json's `"xcc"`, found from `dir` up). */
  targets?: TargetRequest[];
  /** The source directory (the main package's module); default: the current directory. */
  dir?: string;
  /** Where artifacts go; default `<dir>/dist`. */
  outDir?: string;
  /** Packages for go build; default `['.']`. One main package: each target gets one file. */
  packages?: string[];
  /** `<name>` of the artifacts; default: the main package's last import path element (see names.ts). */
  name?: string;
  /** Default `{name}-{goos}-{goarch}{-variant}{ext}` (names.ts). */
  nameTemplate?: string;
  shard?: Shard;
  /** A Zig version spec, as `--zig`; its target names are used here. */
  spec?: string;
  /** The go program; default `go`. */
  go?: string;
  /** The environment go list runs with; default process.env. */
  baseEnv?: NodeJS.ProcessEnv;
  /** The go build flags users add (`-tags`, `-ldflags=-X main.version=1.2.3`); `-o` is refused. */
  goFlags?: string[];
  /** Extra environment for every target's go build, over the toolchain's (CGO_CFLAGS, SOURCE_DATE_EPOCH...). */
  env?: Record<string, string>;
}

/**
 * Resolves the targets, chooses this shard's, names every artifact; builds nothing. A library build mode
 * (in the go flags or GOFLAGS) is refused first.
 */
export async function planRelease(options: PlanOptions): Promise<ReleasePlan> {
  const goEnv = { ...(options.baseEnv ?? process.env), ...options.env };
  checkReleaseBuildMode(goBuildMode('go', ['build', ...(options.goFlags ?? [])], goEnv));
  const dir = path.resolve(options.dir ?? '.');
  const requests = options.targets ?? projectTargets(dir);
  if (requests.length === 0) {
    throw new UsageError(
      'no targets to build; name them (xcc build linux/arm64 windows/amd64) or list them in xcc.json\'s "targets"',
    );
  }
  const zigVersion = namingZigVersion(chooseZig({ spec: options.spec, cwd: dir, host: zigHostKey() }));
  const resolved = requests.map((request) => ({ request, target: resolveTarget(request, { zigVersion }) }));
  const template = options.nameTemplate ?? DEFAULT_NAME_TEMPLATE;
  checkNameTemplate(template);
  const packages = options.packages?.length ? options.packages : ['.'];
  const name =
    options.name ??
    defaultArtifactName(
      await mainImportPath(options.go ?? 'go', packages, dir, options.baseEnv ?? process.env),
    );
  const defaultLibc = (port: string) => resolveTarget({ target: port }, { zigVersion }).libc;
  const named = resolved.map(({ request, target }) => ({
    id: target.id,
    request,
    target,
    file: artifactName(template, { name, target, defaultLibc: defaultLibc(target.port) }),
  }));
  // Names are checked across every target, not just this shard's: the merged release must hold together.
  const unique = shardItems(named, { index: 1, count: 1 });
  checkDistinctNames(unique);
  const chosen = options.shard === undefined ? unique : shardItems(named, options.shard);
  return {
    dir,
    outDir: path.resolve(dir, options.outDir ?? 'dist'),
    name,
    packages,
    targets: chosen.map(({ request, target, file }) => ({ request, target, file })),
    allTargets: unique.length,
    shard: options.shard === undefined ? undefined : formatShard(options.shard),
  };
}

function projectTargets(dir: string): TargetRequest[] {
  const config = findProjectConfig(dir);
  return config?.targets ?? [];
}

/** The import path of the one package being built, from `go list` (which also says if it is no main). */
async function mainImportPath(
  go: string,
  packages: string[],
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      go,
      ['list', '-f', '{{.Name}} {{.ImportPath}}', '--', ...packages],
      { cwd: dir, env: { ...env, GOFLAGS: '' } },
      (error, stdout, stderr) => {
        if (error === null) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT')
          return reject(new UsageError(`cannot run ${go}: not found on PATH; install Go`));
        const why = stderr.trim().split('\n').at(-1) ?? error.message;
        reject(new XccError(`go list ${packages.join(' ')} in ${dir} failed: ${why}`));
      },
    );
  });
  const lines = output.trim().split('\n').filter(Boolean);
  if (lines.length !== 1) {
    throw new UsageError(
      `${packages.join(' ')} names ${lines.length} packages; a release build takes one main package (e.g. ./cmd/tool)`,
    );
  }
  const [kind, importPath] = lines[0]!.split(' ');
  if (kind !== 'main') {
    throw new UsageError(
      `${importPath} is package ${kind}, not a main package; name the command's package (e.g. ./cmd/tool)`,
    );
  }
  return importPath!;
}

/**
 * The go build command line of one artifact: the release flags, the user's flags with their `-ldflags`
 * merged into the release ones (from GOFLAGS when the command line has none: a command-line -ldflags
 * would silently replace GOFLAGS's), `-o`, the packages.
 */
export function goBuildArgs(options: {
  userFlags: readonly string[];
  goflags: string | undefined;
  output: string;
  packages: readonly string[];
}): string[] {
  const { rest, ldflags } = takeLdflags(options.userFlags);
  const fromGoflags = (options.goflags ?? '')
    .split(/\s+/)
    .map((entry) => /^--?ldflags=(.*)$/s.exec(entry)?.[1])
    .filter((value) => value !== undefined);
  const user = ldflags ?? fromGoflags.at(-1);
  const patterned = user !== undefined && /^[^-][^=\s]*=/.test(user);
  const merged =
    user === undefined || patterned ? RELEASE_FLAGS.ldflags : `${RELEASE_FLAGS.ldflags} ${user}`.trim();
  return [
    'build',
    ...RELEASE_FLAGS.flags,
    `-ldflags=${merged}`,
    // A pattern (`all=-X ...`) applies to the packages it names, after the release flags.
    ...(patterned ? [`-ldflags=${user}`] : []),
    ...rest,
    '-o',
    options.output,
    '--',
    ...options.packages,
  ];
}

/**
 * What `xcc build` makes: executables (`-buildmode` exe, pie or the default). A library is refused before
 * anything builds, because the rest of the release is made for executables: its name would end in `.exe`
 * on Windows and in nothing elsewhere, the `.h` that go writes beside it would be missing from
 * `checksums.txt` and the manifest, and the gate reads a c-archive as "not an executable" after the build.
 */
function checkReleaseBuildMode(buildMode: { mode: string; from: string } | undefined): void {
  if (buildMode === undefined || ['exe', 'pie', 'default'].includes(buildMode.mode)) return;
  const source = buildMode.from === 'GOFLAGS' ? ' (in GOFLAGS)' : '';
  throw new UsageError(
    `-buildmode=${buildMode.mode}${source} is not for xcc build, which names, checks and checksums executables; build a library per target with xcc exec TARGET -- go build -buildmode=${buildMode.mode} -o FILE`,
  );
}

/**
 * The C link's part of `-s -w`. cgo links with CGO_LDFLAGS, `-O2 -g` when it is unset, and with `-g` zig
 * keeps the C code's and the C library's DWARF and symbol table in an ELF program (half a megabyte on a
 * small musl program) and links a Windows one with /debug (a CodeView entry naming a PDB that stays in
 * Go's temporary directory), whatever -s -w did to Go's part. So while the release strips (-s and -w both
 * in effect, as by default) and the C link's flags are Go's default (`cgoLdflags`, what `go env
 * CGO_LDFLAGS` says), they become that default without -g. Other link flags are the user's, from the
 * environment or the go env file, and so is `-ldflags=-s=false` or `-w=false`: then the C link keeps
 * its debug information too.
 */
export function releaseLinkEnv(args: readonly string[], cgoLdflags: string): Record<string, string> {
  if (cgoLdflags !== GO_DEFAULT_CGO_FLAGS) return {};
  const words = args
    .map((arg) => /^--?ldflags=(.*)$/s.exec(arg)?.[1])
    .filter((value) => value !== undefined)
    // `pattern=flags` applies flags to the packages it names; main's link is among them or not, and
    // stripping is the default either way.
    .flatMap((value) => value.replace(/^[^-][^=\s]*=/, '').split(/\s+/));
  const strips = linkerBool(words, 's') && linkerBool(words, 'w');
  return strips ? { CGO_LDFLAGS: withoutDebug(GO_DEFAULT_CGO_FLAGS) } : {};
}

/** The value cmd/link takes for boolean flag `-name` from its arguments: the last one wins (false when absent). */
function linkerBool(words: readonly string[], name: string): boolean {
  let value = false;
  for (const word of words) {
    const match = /^--?([a-z]+)(?:=(.*))?$/.exec(word);
    if (match?.[1] !== name) continue;
    value = match[2] === undefined || ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(match[2]);
  }
  return value;
}

/** The user's flags without any -ldflags, and the last -ldflags value (go takes the last one). */
function takeLdflags(flags: readonly string[]): { rest: string[]; ldflags: string | undefined } {
  const rest: string[] = [];
  let ldflags: string | undefined;
  for (let index = 0; index < flags.length; index++) {
    const flag = flags[index]!;
    const match = /^--?ldflags(=(.*))?$/s.exec(flag);
    if (match === null) {
      if (/^--?o(=|$)/.test(flag)) {
        throw new UsageError(
          `${flag} is not for xcc build: it names each artifact itself (--out, --name, --name-template)`,
        );
      }
      rest.push(flag);
      continue;
    }
    ldflags = match[1] === undefined ? flags[++index] : match[2];
    if (ldflags === undefined)
      throw new UsageError('-ldflags needs a value, like -ldflags="-X main.version=1.2.3"');
  }
  return { rest, ldflags };
}

/**
 * The gate each artifact must pass (inspect's `--expect`, src/inspect/expect.ts): its GOOS/GOARCH (and the
 * GOARM level for 32-bit ARM), built with -trimpath, static for musl, and for glibc no symbol version newer
 * than the target's glibc.
 */
export function releaseExpectations(target: Target): string[] {
  const goarm = target.subArch?.variable === 'GOARM' ? /^(\d)/.exec(target.subArch.value)?.[1] : undefined;
  const expectations = [goarm === undefined ? target.port : `${target.port}/v${goarm}`, 'go', 'trimpath'];
  if (target.libc === 'musl') expectations.push('static');
  if (target.libc === 'glibc' && target.glibcVersion !== null)
    expectations.push(`glibc<=${target.glibcVersion}`);
  return expectations;
}
