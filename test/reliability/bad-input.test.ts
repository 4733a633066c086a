import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseFileName, zigHostKey } from '../../src/zig/host.js';
import { runAsync } from '../support/builds.js';
import { runXcc } from '../support/cli.js';
import { type MirrorServer, startMirrorServer } from '../support/mirror-server.js';
import { needTestZig, providedTestZig } from '../support/provided-zig.js';
import { recordCategory, treeOf } from '../support/reliability.js';
import { defaultZigVersion } from '../support/test-zig.js';
import { startZigMirror, zigIndex } from '../support/zig-mirror.js';

/**
 * Bad input for every command, flag and setting: each must end with exit code 2 (usage: the input is
 * wrong) or 1 (a failure the input led to), and exactly ONE line on stderr that says what is wrong and how
 * to fix it, never a stack trace. The table is grouped by area; a new command or setting adds a group.
 *
 * Every row runs twice, with an empty cache and with a warm one (the test Zig installed, as after a first
 * `xcc install`): a bad input must be refused the same way whether or not there is anything to download.
 * Each run has its own XCC_HOME (the warm one hard-linked from a cache installed once, through a loopback
 * mirror, in beforeAll), its own working directory, and settings that keep it off the internet: a
 * private index file (the real index.json with its URLs moved to a dead port), dead mirror and PyPI URLs,
 * a short timeout. After each run the cache holds nothing it did not hold before but its own empty
 * directories (and the index it may cache): nothing half-written, no temp file, no lock.
 */

recordCategory(
  'bad-input',
  'Bad input',
  'Every command (env, exec, install, lock, ls, prune, cache, inspect, lipo, doctor, targets, dispatch, setup) with an empty cache and with a warm one: unknown commands and options, malformed versions and specs, bad targets and sub-architectures, a missing or fake macOS SDK, programs exec cannot start, env --write and --format github targets, broken project files and locks, bad --source, --from and --prewarm, prune/cache/inspect/lipo misuse, and bad settings (XCC_ZIG_MIRROR, XCC_ZIG_INDEX, XCC_ZIG_PUBKEY, XCC_PYPI_INDEX_URL, pip config, XCC_HOME, XCC_ZIG, XCC_HTTP_TIMEOUT, proxies, CA files, offline): exit 2 or 1 with exactly one line naming the fix, no stack trace, nothing half-written in the cache.',
);

/** Paths and servers the rows refer to, made once. */
interface Fixtures {
  dir: string;
  /** A URL nothing listens on. */
  dead: string;
  /** A loopback server: `/html` answers an HTML page, anything else 404. */
  server: MirrorServer;
  /** The real index.json, its URLs moved to the dead port. */
  index: string;
  file(name: string): string;
}

interface BadInput {
  name: string;
  args: string[] | ((f: Fixtures) => string[]);
  env?: (f: Fixtures) => Record<string, string | undefined>;
  exit: 0 | 1 | 2;
  /** The one line on stderr, after `xcc: `; undefined: stderr must be empty. */
  stderr?: RegExp;
  /** Default: stdout must be empty. */
  stdout?: RegExp;
  /** The caches it runs with; default both. A row about what an empty cache lacks runs with that one. */
  caches?: CacheKind[];
  /** Files of the project the command runs in (its working directory, fresh for each run). */
  project?: Record<string, string>;
  /** What the run may add to its cache beyond the cache's own directories (a complete toolchain...). */
  leaves?: RegExp;
  /** The outcome with a warm cache, where it differs. */
  warm?: Pick<BadInput, 'exit' | 'stderr' | 'stdout'>;
}

type CacheKind = 'empty' | 'warm';

const VERSION = defaultZigVersion();
const TARBALL = releaseFileName(VERSION, zigHostKey());

const COMMANDS: BadInput[] = [
  {
    name: 'an unknown command',
    args: ['frobnicate'],
    exit: 2,
    stderr: /^unknown command 'frobnicate'; run 'xcc --help' for usage$/,
  },
  {
    name: 'an unknown global option',
    args: ['--frob'],
    exit: 2,
    stderr: /^unknown option '--frob'; run 'xcc --help' for usage$/,
  },
  {
    name: 'an unknown short option',
    args: ['-z'],
    exit: 2,
    stderr: /^unknown option '-z'; run 'xcc --help' for usage$/,
  },
  {
    name: 'an unknown option of install',
    args: ['install', '--frob'],
    exit: 2,
    stderr: /^unknown option '--frob'/,
  },
  {
    name: 'an unknown command with --debug (still no stack)',
    args: ['--debug', 'frobnicate'],
    exit: 2,
    stderr: /^unknown command 'frobnicate'/,
  },
  {
    name: 'an argument ls does not take',
    args: ['ls', 'extra'],
    exit: 2,
    stderr: /^unused args: 'extra'; run 'xcc --help'/,
  },
  { name: 'an unknown option of ls', args: ['ls', '--bogus'], exit: 2, stderr: /^unknown option '--bogus'/ },
  {
    name: 'two versions for install',
    args: ['install', VERSION, 'extra'],
    exit: 2,
    stderr: /^unused args: 'extra'/,
  },
];

const VERSIONS: BadInput[] = [
  {
    name: 'a version with four numbers',
    args: ['install', '0.15.2.1'],
    exit: 2,
    stderr: /^invalid Zig version spec "0\.15\.2\.1": use a release \(0\.15\.2\), a minor version/,
  },
  {
    name: 'a version with a prefix',
    args: ['install', 'zig-0.15'],
    exit: 2,
    stderr: /^invalid Zig version spec "zig-0\.15"/,
  },
  {
    name: 'a dev build without its commit',
    args: ['install', '0.15.0-dev.1'],
    exit: 2,
    stderr:
      /^invalid Zig version "0\.15\.0-dev\.1": a dev build needs its commit, as in 0\.15\.0-dev\.631\+9a3540d61$/,
  },
  {
    name: 'a range that does not parse',
    args: ['install', '0.15 || nope'],
    exit: 2,
    stderr: /^invalid Zig version spec "0\.15 \|\| nope"/,
  },
  {
    name: 'a release older than xcc supports',
    args: ['install', '0.10.0'],
    exit: 2,
    stderr:
      /^Zig 0\.10\.0 is older than the oldest version xcc supports \(0\.11\.0\); pick 0\.11\.0 or newer$/,
  },
  {
    name: 'a range nothing satisfies',
    args: ['install', '>=0.99'],
    exit: 1,
    stderr: /^no Zig release matches ">=0\.99"; nearest available: .* \(newest: \S+\)$/,
  },
  {
    name: 'a release that does not exist',
    args: ['install', '99.0.0'],
    exit: 1,
    stderr: /^no Zig release matches "99\.0\.0"; nearest available/,
  },
];

const SOURCES: BadInput[] = [
  {
    name: 'an unknown source',
    args: ['install', '--source', 'foo'],
    exit: 2,
    stderr:
      /^unknown source 'foo' in --source; use one or more of mirror, ziglang\.org, pypi, comma-separated$/,
  },
  {
    name: '--source without a value',
    args: ['install', '--source'],
    exit: 2,
    stderr: /^--source needs a value, e\.g\. --source=VALUE$/,
  },
  {
    name: 'an empty name in --source',
    args: ['install', '--source', 'mirror,,pypi'],
    exit: 2,
    stderr: /^unknown source '' in --source/,
  },
  {
    name: 'a source named twice',
    args: ['install', '--source', 'mirror,pypi,mirror'],
    exit: 2,
    stderr: /^--source names 'mirror' twice; name each source once, in the order to try them$/,
  },
  {
    name: 'a source in capitals',
    args: ['install', '--source', 'PyPI'],
    exit: 2,
    stderr: /^unknown source 'PyPI' in --source/,
  },
];

const FROM: BadInput[] = [
  {
    name: '--from without a value',
    args: ['install', '--from'],
    exit: 2,
    stderr: /^--from needs a value, e\.g\. --from=VALUE$/,
  },
  {
    name: '--from a path that does not exist',
    args: ['install', '--from', '/nonexistent/zig.tar.xz'],
    exit: 2,
    stderr: /^--from \/nonexistent\/zig\.tar\.xz: no such file or directory$/,
  },
  {
    name: '--from a file that is not a Zig archive',
    args: (f) => ['install', '--from', f.file('garbage.json')],
    exit: 2,
    stderr: new RegExp(
      `^--from \\S+garbage\\.json: this host needs ${quote(TARBALL)}; pass that file \\(with its \\.minisig beside it\\)$`,
    ),
  },
  {
    name: '--from a directory without the archive',
    args: (f) => ['install', '--from', f.file('empty-dir')],
    exit: 2,
    stderr: new RegExp(
      `^--from \\S+empty-dir: ${quote(TARBALL)} is not in that directory; download it \\(and its \\.minisig\\) there, or pass the file itself$`,
    ),
  },
  {
    name: '--from an archive without its .minisig',
    args: (f) => ['install', '--from', f.file(`lonely/${TARBALL}`)],
    exit: 2,
    stderr: /\.minisig not found: an archive is installed only with its signature beside it/,
  },
  {
    name: '--from together with --source',
    args: (f) => ['install', '--from', f.file(`lonely/${TARBALL}`), '--source', 'mirror'],
    exit: 2,
    stderr: /^--from installs the archive it names and takes no --source; pass one or the other$/,
  },
  {
    name: '--from an archive of another version than asked',
    args: (f) => ['install', '0.14.1', '--from', f.file(`lonely/${TARBALL}`)],
    exit: 2,
    stderr: /^--from \S+: this host needs zig-\S+-0\.14\.1\.tar\.xz/,
  },
];

const PRUNE_CACHE_INSPECT: BadInput[] = [
  {
    name: 'prune without saying what',
    args: ['prune'],
    exit: 2,
    stderr: /^say what to remove: --keep N, --older-than AGE \(like 30d\) or --all$/,
  },
  {
    name: 'prune --keep with a negative number',
    args: ['prune', '--keep', '-1'],
    exit: 2,
    stderr: /^unknown option '-1'; run 'xcc --help'/,
  },
  {
    name: 'prune --keep with a word',
    args: ['prune', '--keep', 'abc'],
    exit: 2,
    stderr: /^--keep abc: expected a whole number of versions to keep, like --keep 2$/,
  },
  {
    name: 'prune --keep with a fraction',
    args: ['prune', '--keep', '1.5'],
    exit: 2,
    stderr: /^--keep 1\.5: expected a whole number/,
  },
  {
    name: 'prune --keep without a value',
    args: ['prune', '--keep'],
    exit: 2,
    stderr: /^--keep needs a value, e\.g\. --keep=VALUE$/,
  },
  {
    name: 'prune --older-than with years',
    args: ['prune', '--older-than', '3y'],
    exit: 2,
    stderr: /^--older-than 3y: expected an age like 30d, 12h, 90m or 2w$/,
  },
  {
    name: 'prune --older-than without a value',
    args: ['prune', '--older-than'],
    exit: 2,
    stderr: /^--older-than needs a value, e\.g\. --older-than=VALUE$/,
  },
  {
    name: 'prune --all with --keep',
    args: ['prune', '--all', '--keep', '2'],
    exit: 2,
    stderr: /^prune: --all cannot be combined with --keep or --older-than$/,
  },
  {
    name: 'cache without an action',
    args: ['cache'],
    exit: 2,
    stderr: /^missing required args for command 'cache <action>'; run 'xcc --help'/,
  },
  {
    name: 'cache with an unknown action',
    args: ['cache', 'purge'],
    exit: 2,
    stderr: /^unknown cache action 'purge'; use 'xcc cache dir \[--zig\]'$/,
  },
  {
    name: 'cache dir with an extra argument',
    args: ['cache', 'dir', 'extra'],
    exit: 2,
    stderr: /^unused args: 'extra'/,
  },
  {
    name: 'inspect without a file',
    args: ['inspect'],
    exit: 2,
    stderr: /^missing required args for command 'inspect <\.\.\.files>'/,
  },
  {
    name: 'inspect a file that does not exist',
    args: ['inspect', '/nonexistent'],
    exit: 1,
    stderr: /^cannot read \/nonexistent: no such file$/,
  },
  {
    name: 'inspect a directory',
    args: (f) => ['inspect', f.file('empty-dir')],
    exit: 1,
    stderr: /^cannot read \S+: it is a directory$/,
  },
  {
    name: 'inspect --host that is not GOOS/GOARCH',
    args: ['inspect', '--host', 'amd64', process.execPath],
    exit: 2,
    stderr: /^--host 'amd64' is not GOOS\/GOARCH; write it like linux\/arm64$/,
  },
  {
    name: 'inspect --expect with an unknown fact',
    args: ['inspect', '--expect', 'shiny', process.execPath],
    exit: 2,
    stderr: /^unknown expectation 'shiny' in --expect; use GOOS\/GOARCH/,
  },
  {
    name: 'inspect --expect without a value',
    args: ['inspect', '--expect'],
    exit: 2,
    stderr: /^option '--expect <facts>' value is missing/,
  },
  {
    name: 'lipo without an output',
    args: ['lipo', process.execPath, process.execPath],
    exit: 2,
    stderr: /^lipo needs the output file: 'xcc lipo -o OUT IN1 IN2'$/,
  },
  {
    name: 'lipo --output without a value',
    args: ['lipo', '--output'],
    exit: 2,
    stderr: /^--output needs a value, e\.g\. --output=VALUE$/,
  },
  {
    name: 'lipo of one file',
    args: (f) => ['lipo', '-o', f.file('universal'), process.execPath],
    exit: 2,
    stderr: /^lipo merges two or more thin Mach-O files of different architectures/,
  },
  {
    name: 'lipo of files that do not exist',
    args: (f) => ['lipo', '-o', f.file('universal'), '/nonexistent', '/nonexistent-too'],
    exit: 2,
    stderr: /^\/nonexistent does not exist$/,
  },
  {
    name: 'lipo of a directory',
    args: (f) => ['lipo', '-o', f.file('universal'), f.file('empty-dir'), process.execPath],
    exit: 2,
    stderr: /^\S+empty-dir is a directory; give thin Mach-O files$/,
  },
  {
    name: 'lipo of programs that are not Mach-O',
    args: (f) => ['lipo', '-o', f.file('universal'), f.file('garbage.json'), process.execPath],
    exit: 2,
    stderr:
      /^\S+garbage\.json is not a Mach-O file; give darwin builds \(GOOS=darwin\), one per architecture$/,
  },
  {
    name: 'lipo writing over one of its inputs',
    args: (f) => ['lipo', '-o', f.file('garbage.json'), f.file('garbage.json'), process.execPath],
    exit: 2,
    stderr: /^the output \S+garbage\.json is also an input; write the universal file to another path$/,
  },
];

const install = ['install'];

/** A complete toolchain (wrappers, env files, manifest), written atomically before a command fails later. */
const TOOLCHAIN = /^v1\/toolchains\//;

/**
 * `xcc install` with its Zig already installed: it reads no download setting (index, mirrors, key,
 * PyPI, timeout), so a bad one is only refused once something is to be downloaded (the empty cache).
 */
const INSTALLED = {
  exit: 0,
  stderr: undefined,
  stdout: /^Zig 0\.15\.2 is installed: \S+\/v1\/zig\/0\.15\.2\/zig\n$/,
} as const;

const SETTINGS: BadInput[] = [
  {
    name: 'XCC_ZIG_MIRROR that is not a URL',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_ZIG_MIRROR: 'notaurl' }),
    exit: 2,
    stderr:
      /^XCC_ZIG_MIRROR: "notaurl" is not a URL; give base URLs separated by commas, like https:\/\/mirror\.example\/zig$/,
  },
  {
    name: 'XCC_ZIG_MIRROR with an ftp:// URL',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_ZIG_MIRROR: 'ftp://mirror.example/zig' }),
    exit: 2,
    stderr: /^XCC_ZIG_MIRROR: "ftp:\/\/mirror\.example\/zig" is not an http\(s\) URL$/,
  },
  {
    name: 'XCC_ZIG_MIRROR with only commas',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_ZIG_MIRROR: ' , ,' }),
    exit: 2,
    stderr: /^XCC_ZIG_MIRROR=", ," names no mirror; give base URLs separated by commas/,
  },
  {
    name: 'XCC_ZIG_INDEX naming a missing file',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_ZIG_INDEX: '/nonexistent/index.json' }),
    exit: 2,
    stderr:
      /^XCC_ZIG_INDEX: cannot read \/nonexistent\/index\.json \(ENOENT\); set it to an index\.json file or an http\(s\) URL$/,
  },
  {
    name: 'XCC_ZIG_INDEX naming a directory',
    warm: INSTALLED,
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('empty-dir') }),
    exit: 2,
    stderr: /^XCC_ZIG_INDEX: cannot read \S+ \(EISDIR\)/,
  },
  {
    name: 'XCC_ZIG_INDEX naming a file that is not JSON',
    warm: INSTALLED,
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('garbage.json') }),
    exit: 1,
    stderr: /^XCC_ZIG_INDEX \(\S+\): the document is not valid JSON \(/,
  },
  {
    name: 'XCC_ZIG_INDEX naming a JSON array',
    warm: INSTALLED,
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('array.json') }),
    exit: 1,
    stderr: /^XCC_ZIG_INDEX \(\S+\): the document is not an object$/,
  },
  {
    name: 'XCC_ZIG_INDEX naming an index without releases',
    warm: INSTALLED,
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('empty.json') }),
    exit: 1,
    stderr: /^no Zig release matches "0\.15\.2 \(the default\)"; no release is available/,
  },
  {
    name: 'XCC_ZIG_INDEX naming an index with a broken sha256',
    warm: INSTALLED,
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('bad-sha.json') }),
    exit: 1,
    stderr: /^XCC_ZIG_INDEX \(\S+\): "0\.15\.2"\."[\w-]+"\.shasum is not a sha256: "nope"$/,
  },
  {
    name: 'XCC_ZIG_INDEX with a file: URL naming a host',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_ZIG_INDEX: 'file://fileserver/index.json' }),
    exit: 2,
    stderr: /^XCC_ZIG_INDEX=file:\/\/fileserver\/index\.json is not a local file URL \(/,
  },
  {
    name: 'XCC_ZIG_INDEX at a port nobody listens on',
    warm: INSTALLED,
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: `${f.dead}/index.json` }),
    exit: 1,
    stderr: /^cannot fetch http:\/\/127\.0\.0\.1:\d+\/index\.json: connect ECONNREFUSED/,
  },
  {
    name: 'XCC_ZIG_INDEX at a URL answering an HTML page',
    warm: INSTALLED,
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: `${f.server.url}/html` }),
    exit: 1,
    stderr: /^XCC_ZIG_INDEX \(http:\S+\/html\): the document is not valid JSON/,
  },
  {
    name: 'XCC_ZIG_INDEX at a URL answering 404',
    warm: INSTALLED,
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: `${f.server.url}/missing.json` }),
    exit: 1,
    stderr: /^cannot fetch \S+\/missing\.json: HTTP 404$/,
  },
  {
    name: 'XCC_ZIG_PUBKEY that is not base64',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_ZIG_PUBKEY: 'not a key' }),
    exit: 2,
    stderr:
      /^malformed minisign public key: the key is not valid base64; XCC_ZIG_PUBKEY takes the key line of a minisign\.pub file/,
  },
  {
    name: 'XCC_ZIG_PUBKEY holding a signature line',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_ZIG_PUBKEY: SIGNATURE_LINE }),
    exit: 2,
    stderr: /^malformed minisign public key: the key is 74 bytes, expected 42;/,
  },
  {
    name: 'XCC_ZIG_PUBKEY with three lines',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_ZIG_PUBKEY: 'a\nb\nc' }),
    exit: 2,
    stderr: /^malformed minisign public key: expected 1 or 2 lines, got 3;/,
  },
  {
    name: 'XCC_ZIG_PUBKEY of another algorithm',
    warm: INSTALLED,
    args: install,
    env: () => ({
      XCC_ZIG_PUBKEY: Buffer.concat([Buffer.from('Xd'), Buffer.alloc(40, 1)]).toString('base64'),
    }),
    exit: 2,
    stderr: /^malformed minisign public key: unknown algorithm "Xd";/,
  },
  {
    name: 'XCC_PYPI_INDEX_URL that is not a URL',
    warm: INSTALLED,
    args: ['install', '--source', 'pypi'],
    env: () => ({ XCC_PYPI_INDEX_URL: 'notaurl' }),
    exit: 2,
    stderr:
      /^XCC_PYPI_INDEX_URL: "notaurl" is not an http\(s\) URL of a Python package index \(like https:\/\/pypi\.org\/simple\)$/,
  },
  {
    name: 'XCC_PYPI_INDEX_URL with an ftp:// URL',
    warm: INSTALLED,
    args: ['install', '--source', 'pypi'],
    env: () => ({ XCC_PYPI_INDEX_URL: 'ftp://pypi.example/simple' }),
    exit: 2,
    stderr: /^XCC_PYPI_INDEX_URL: "ftp:\/\/pypi\.example\/simple" is not an http\(s\) URL/,
  },
  {
    name: 'PIP_INDEX_URL that is not a URL',
    warm: INSTALLED,
    args: ['install', '--source', 'pypi'],
    env: () => ({ XCC_PYPI_INDEX_URL: undefined, PIP_INDEX_URL: 'notaurl' }),
    exit: 2,
    stderr: /^PIP_INDEX_URL: "notaurl" is not an http\(s\) URL/,
  },
  {
    name: 'a pip.conf whose index-url is not a URL',
    warm: INSTALLED,
    args: ['install', '--source', 'pypi'],
    env: (f) => ({ XCC_PYPI_INDEX_URL: undefined, PIP_CONFIG_FILE: f.file('pip.conf') }),
    exit: 2,
    stderr: /^\S+pip\.conf: "notaurl" is not an http\(s\) URL/,
  },
  {
    name: "XCC_HOME under /proc (Node's recursive mkdir spun there for ever)",
    args: install,
    env: () => ({ XCC_HOME: '/proc/xcc' }),
    exit: 1,
    stderr:
      /^cannot write the xcc cache in \/proc\/xcc\/v1 \(ENOENT\); set XCC_HOME to a writable directory$/,
  },
  {
    name: 'XCC_HOME under /sys (not writable)',
    args: install,
    env: () => ({ XCC_HOME: '/sys/xcc' }),
    exit: 1,
    stderr: /^cannot write the xcc cache in \/sys\/xcc\/v1 \((EPERM|EROFS|EACCES|ENOENT)\); set XCC_HOME/,
  },
  {
    name: 'XCC_HOME naming a file (install)',
    args: install,
    env: (f) => ({ XCC_HOME: f.file('garbage.json') }),
    exit: 1,
    // Looking for installs reads the cache before anything is written to it.
    stderr: /^cannot read the xcc cache in \S+garbage\.json\/v1 \(ENOTDIR\); set XCC_HOME to a directory$/,
  },
  {
    name: 'XCC_HOME naming a file (ls)',
    args: ['ls'],
    env: (f) => ({ XCC_HOME: f.file('garbage.json') }),
    exit: 1,
    stderr: /^cannot read the xcc cache in \S+garbage\.json\/v1 \(ENOTDIR\); set XCC_HOME to a directory$/,
  },
  {
    name: 'a cache whose install marker was damaged (ls)',
    args: ['ls'],
    env: (f) => ({ XCC_HOME: f.file('damaged-home') }),
    exit: 0,
    stdout: /^No Zig installed yet; run 'xcc install'\.\n$/,
  },
  {
    name: 'a cache whose install marker was damaged (prune --all)',
    args: ['prune', '--all'],
    env: (f) => ({ XCC_HOME: f.file('damaged-home') }),
    exit: 0,
    stdout: /^Freed 0 B\.\n$/,
  },
  {
    name: 'offline with nothing installed',
    caches: ['empty'],
    args: install,
    env: () => ({ XCC_OFFLINE: '1' }),
    exit: 1,
    stderr:
      /^Zig 0\.15\.2 is not installed and xcc is offline \(XCC_OFFLINE=1\): run 'xcc install 0\.15\.2' once while online, or install a downloaded archive with 'xcc install --from <file>'$/,
  },
  {
    name: 'offline asking for master without a cached index',
    args: ['install', 'master'],
    env: () => ({ XCC_OFFLINE: 'true', XCC_ZIG_INDEX: undefined }),
    exit: 1,
    stderr: /^Zig master needs the live index\.json, which is not available/,
  },
  {
    name: 'XCC_ZIG naming a missing file',
    args: install,
    env: () => ({ XCC_ZIG: '/nonexistent/zig' }),
    exit: 2,
    stderr: /^XCC_ZIG=\/nonexistent\/zig: no such file; point it at a zig executable or unset it$/,
  },
  {
    name: 'XCC_ZIG naming a program that prints no version',
    args: install,
    env: () => ({ XCC_ZIG: '/bin/true' }),
    exit: 2,
    stderr: /^XCC_ZIG=\/bin\/true printed "" for 'zig version'; point it at a zig executable or unset it$/,
  },
  {
    name: 'XCC_ZIG naming a file that does not run',
    args: install,
    env: (f) => ({ XCC_ZIG: f.file('garbage.json') }),
    exit: 2,
    stderr:
      /^XCC_ZIG=\S+garbage\.json does not run as zig \(.*EACCES.*\); point it at a zig executable or unset it$/,
  },
  {
    name: 'XCC_ZIG naming a Zig older than xcc supports',
    args: install,
    env: (f) => ({ XCC_ZIG: f.file('old-zig') }),
    exit: 1,
    stderr: /^XCC_ZIG=\S+old-zig is Zig 0\.10\.1; xcc needs 0\.11\.0 or newer$/,
  },
  {
    name: 'XCC_HTTP_TIMEOUT that is not a number',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_HTTP_TIMEOUT: 'soon' }),
    exit: 2,
    stderr:
      /^XCC_HTTP_TIMEOUT=soon: expected the longest wait for the network in seconds, a number above 0 and up to 3600, like 30$/,
  },
  {
    name: 'XCC_HTTP_TIMEOUT of zero',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_HTTP_TIMEOUT: '0' }),
    exit: 2,
    stderr: /^XCC_HTTP_TIMEOUT=0: expected/,
  },
  {
    name: 'XCC_HTTP_TIMEOUT negative',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_HTTP_TIMEOUT: '-5' }),
    exit: 2,
    stderr: /^XCC_HTTP_TIMEOUT=-5: expected/,
  },
  {
    name: 'XCC_HTTP_TIMEOUT with a unit',
    warm: INSTALLED,
    args: install,
    env: () => ({ XCC_HTTP_TIMEOUT: '30s' }),
    exit: 2,
    stderr: /^XCC_HTTP_TIMEOUT=30s: expected/,
  },
  {
    name: 'HTTP_PROXY that is not a URL',
    args: ['install', '0.15'],
    env: (f) => ({ XCC_ZIG_INDEX: `${f.server.url}/index.json`, HTTP_PROXY: 'http://[::1' }),
    exit: 2,
    stderr:
      /^HTTP_PROXY=http:\/\/\[::1 is not a proxy URL; write it like http:\/\/proxy\.example:3128 \(or unset it\)$/,
  },
  {
    name: 'HTTPS_PROXY with an ftp:// URL',
    args: ['install', '0.15'],
    env: (f) => ({
      XCC_ZIG_INDEX: `${f.server.url}/index.json`,
      https_proxy: 'ftp://proxy.example:21',
      HTTPS_PROXY: 'ftp://proxy.example:21',
    }),
    exit: 2,
    stderr: /^https_proxy=ftp:\/\/proxy\.example:21 is not a proxy URL/,
  },
  {
    name: 'npm_config_cafile naming a missing file',
    args: ['install', '0.15'],
    env: (f) => ({ XCC_ZIG_INDEX: `${f.server.url}/index.json`, npm_config_cafile: '/nonexistent/ca.pem' }),
    exit: 1,
    stderr:
      /^cannot read the CA certificates in \/nonexistent\/ca\.pem \(named by npm_config_cafile\): ENOENT; point it at a PEM file$/,
  },
];

/** Targets and their options, on each command that takes them: env, exec, targets, doctor. */
const TARGETS: BadInput[] = [
  {
    name: 'env without a target',
    args: ['env'],
    exit: 2,
    stderr: /^name a target, like 'xcc env linux\/arm64'; see 'xcc targets' for the list$/,
  },
  {
    name: 'env with an unknown GOARCH',
    args: ['env', 'linux/bogus'],
    exit: 2,
    stderr: /^unknown GOARCH 'bogus' in 'linux\/bogus'; run 'xcc targets' for the list$/,
  },
  {
    name: 'env with a target without GOARCH',
    args: ['env', 'linux'],
    exit: 2,
    stderr:
      /^target 'linux' has no GOARCH; write GOOS\/GOARCH, e\.g\. linux\/amd64 \(run 'xcc targets' for the list\)$/,
  },
  {
    name: 'env with GOARM for arm64',
    args: ['env', 'linux/arm64', '--goarm', '7'],
    exit: 2,
    stderr:
      /^GOARM is for GOARCH=arm, but the target is linux\/arm64 \(its variable is GOARM64\); drop GOARM$/,
  },
  {
    name: 'env with a GOARM that does not exist',
    args: ['env', 'linux/arm', '--goarm', '9'],
    exit: 2,
    stderr: /^invalid GOARM '9'; use 5, 6 or 7/,
  },
  {
    name: 'env with a glibc older than the port',
    args: ['env', 'linux/amd64', '--glibc', '1.0'],
    exit: 2,
    stderr: /^glibc 1\.0 is too old for linux\/amd64 \(the oldest is 2\.17\); use glibc 2\.17 or newer$/,
  },
  {
    name: 'env with two libcs',
    args: ['env', 'linux/amd64', '--glibc', '2.28', '--musl'],
    exit: 2,
    stderr: /^--musl and --glibc conflict; choose one libc$/,
  },
  {
    name: 'env with musl for windows',
    args: ['env', 'windows/amd64', '--musl'],
    exit: 2,
    stderr: /^windows\/amd64 cannot use musl: it links against mingw; drop --musl$/,
  },
  {
    name: 'env with an unknown format',
    args: ['env', 'linux/amd64', '--format', 'bogus'],
    exit: 2,
    stderr: /^unknown format 'bogus'; use one of sh, fish, pwsh, cmd, dotenv, github, json$/,
  },
  {
    name: 'env with a malformed --zig',
    args: ['env', 'linux/amd64', '--zig', 'nope'],
    exit: 2,
    stderr: /^invalid Zig version spec "nope"/,
  },
  {
    name: 'env --reset with a target',
    args: ['env', 'linux/amd64', '--reset'],
    exit: 2,
    stderr: /^--reset undoes every xcc variable and takes no target; use 'xcc env linux\/amd64 --unset'$/,
  },
  {
    name: 'env with two targets',
    args: ['env', 'linux/amd64', 'linux/arm64'],
    exit: 2,
    stderr: /^unused args: 'linux\/arm64'/,
  },
  {
    name: 'env for darwin with --macos-sdk naming nothing',
    args: (f) => ['env', 'darwin/arm64', '--macos-sdk', f.file('no-such.sdk')],
    exit: 2,
    stderr:
      /^the macOS SDK \S+no-such\.sdk does not exist; pass --macos-sdk \/path\/to\/MacOSX\.sdk \(a directory holding SDKSettings\.json\) or set SDKROOT to one$/,
  },
  {
    name: 'env for darwin with --macos-sdk naming a directory that is not an SDK',
    args: (f) => ['env', 'darwin/arm64', '--macos-sdk', f.file('empty-dir')],
    exit: 2,
    stderr:
      /^the macOS SDK \S+empty-dir is not one: it has no SDKSettings\.json; pass --macos-sdk \/path\/to\/MacOSX\.sdk/,
  },
  {
    name: 'env for darwin with SDKROOT naming a file',
    args: ['env', 'darwin/amd64'],
    env: (f) => ({ SDKROOT: f.file('garbage.json') }),
    exit: 2,
    stderr: /^the macOS SDK \S+garbage\.json is not a directory; pass --macos-sdk \/path\/to\/MacOSX\.sdk/,
  },
  {
    name: 'env for darwin with an SDK clang would take for another platform',
    args: (f) => ['env', 'darwin/arm64', '--macos-sdk', f.file('iPhoneOS.sdk')],
    exit: 2,
    stderr:
      /^the macOS SDK \S+iPhoneOS\.sdk is in a directory named iPhoneOS\.sdk, .*; if it is a macOS SDK, name that directory MacOSX<version>\.sdk, as Xcode does$/,
  },
  {
    name: 'env for darwin/arm64 with an SDK too new for the Zig (arm64e-only stubs)',
    args: (f) => ['env', 'darwin/arm64', '--macos-sdk', f.file('MacOSX26.4.sdk')],
    exit: 2,
    stderr:
      /^the macOS SDK \S+MacOSX26\.4\.sdk is too new for Zig 0\.15\.2: usr\/lib\/libSystem\.tbd lists arm64e but not arm64, .*; use an older SDK \(pass --macos-sdk \/path\/to\/MacOSX\.sdk\) or Zig 0\.16\.0 or newer \(--zig 0\.16\.0\)$/,
    // The Zig is known only once installed: an empty cache would download it first.
    caches: ['warm'],
    // Before the Zig, the stubs of the Go on PATH are made (complete, renamed into place): Go's minimum macOS.
    leaves: /^v1\/darwin-stubs(\/|$)/,
  },
  {
    name: 'exec without a target',
    args: ['exec'],
    exit: 2,
    stderr: /^missing required args for command 'exec <target>'/,
  },
  {
    name: 'exec without a command',
    args: ['exec', 'linux/amd64'],
    exit: 2,
    stderr: /^give the command after --, like 'xcc exec linux\/amd64 -- go build \.'$/,
  },
  {
    name: 'exec with a bad target',
    args: ['exec', 'linux/bogus', '--', 'true'],
    exit: 2,
    stderr: /^unknown GOARCH 'bogus' in 'linux\/bogus'/,
  },
  {
    name: 'targets with an unknown target',
    args: ['targets', 'linux/bogus'],
    exit: 2,
    stderr: /^unknown GOARCH 'bogus' in 'linux\/bogus'/,
  },
  {
    name: 'targets with a malformed --zig',
    args: ['targets', 'linux/arm64', '--zig', 'nope'],
    exit: 2,
    stderr: /^malformed zig version 'nope'; write MAJOR\.MINOR\.PATCH, e\.g\. 0\.15\.2$/,
  },
  {
    name: 'targets --matrix in an unknown format',
    args: ['targets', '--matrix', 'yaml', 'linux/arm64'],
    exit: 2,
    stderr: /^unknown matrix format 'yaml'; use github or gitlab$/,
  },
  {
    name: 'targets --matrix with --shards 0',
    args: ['targets', '--matrix', 'github', '--shards', '0', 'linux/arm64'],
    exit: 2,
    stderr: /^--shards takes a whole number of jobs like 3, got '0'$/,
  },
  {
    name: 'targets --matrix with a shell separator in a target',
    args: ['targets', '--matrix', 'gitlab', 'linux/arm64;touch x'],
    exit: 2,
    stderr:
      /^--matrix targets: 'linux\/arm64;touch' contains ';'; targets are written like linux\/amd64 --glibc=2\.28/,
  },
  {
    name: 'targets --shards without --matrix',
    args: ['targets', '--shards', '2'],
    exit: 2,
    stderr: /^--shards goes with --matrix: xcc targets --matrix github --shards 3$/,
  },
  {
    name: 'targets with two targets',
    args: ['targets', 'linux/arm64', 'linux/amd64'],
    exit: 2,
    stderr:
      /^one target at a time \(got linux\/arm64, linux\/amd64\); run 'xcc targets linux\/arm64', or list several with --matrix$/,
  },
  {
    name: 'targets with GOARM for arm64',
    args: ['targets', 'linux/arm64', '--goarm', '7'],
    exit: 2,
    stderr: /^GOARM is for GOARCH=arm, but the target is linux\/arm64/,
  },
  {
    name: 'doctor with an unknown target',
    args: ['doctor', 'bogus/x'],
    exit: 2,
    stderr: /^unknown GOOS 'bogus' in 'bogus\/x'; run 'xcc targets' for the list$/,
  },
  {
    name: 'doctor with a malformed --zig',
    args: ['doctor', '--zig', 'nope'],
    exit: 2,
    stderr: /^invalid Zig version spec "nope"/,
  },
  {
    name: 'doctor with an unknown option',
    args: ['doctor', '--bogus'],
    exit: 2,
    stderr: /^unknown option '--bogus'/,
  },
];

/**
 * Where `xcc env` writes: --write FILE and --format github (GITHUB_ENV). The rows whose FILE is a directory
 * or under a file are the `wrappers` engineer's (src/cli/commands/env.ts); they fail here until that lands.
 */
const WRITES: BadInput[] = [
  {
    name: 'env --write without a file',
    args: ['env', 'linux/amd64', '--write'],
    exit: 2,
    stderr: /^--write needs a value, e\.g\. --write=VALUE$/,
  },
  {
    // wrappers: today an internal error (EISDIR from the rename of the temp file).
    name: 'env --write naming a directory',
    args: (f) => ['env', 'linux/amd64', '--write', f.file('empty-dir')],
    exit: 2,
    stderr: /^--write \S+empty-dir is a directory; name a file/,
    leaves: TOOLCHAIN,
    caches: ['warm'],
  },
  {
    // wrappers: today an internal error (ENOTDIR from mkdir).
    name: 'env --write under a file',
    args: (f) => ['env', 'linux/amd64', '--write', f.file('garbage.json/env.sh')],
    exit: 2,
    stderr: /^--write \S+garbage\.json\/env\.sh: /,
    leaves: TOOLCHAIN,
    caches: ['warm'],
  },
  {
    // wrappers: today checked after the toolchain is provisioned (with an empty cache, after a download).
    name: 'env --format github outside GitHub Actions',
    args: ['env', 'linux/amd64', '--format', 'github'],
    leaves: TOOLCHAIN,
    exit: 2,
    stderr:
      /^--format github needs GITHUB_ENV \(set by GitHub Actions\); outside Actions use --format sh or dotenv$/,
  },
  {
    // wrappers: today an internal error (EISDIR from open).
    name: 'env --format github with GITHUB_ENV naming a directory',
    args: ['env', 'linux/amd64', '--format', 'github'],
    env: (f) => ({ GITHUB_ENV: f.file('empty-dir') }),
    exit: 2,
    stderr: /^GITHUB_ENV=\S+empty-dir /,
    leaves: TOOLCHAIN,
    caches: ['warm'],
  },
];

/**
 * A program `xcc exec` cannot start: one line that says why, and exit 2 (the command line is wrong). The
 * toolchain comes first, so these run with the Zig installed.
 */
const EXEC: BadInput[] = [
  {
    name: 'exec a program that is not on PATH',
    args: ['exec', 'linux/amd64', '--', 'no-such-program'],
    exit: 2,
    stderr:
      /^cannot run no-such-program: not found on PATH \(ENOENT\); check its name, or give its path \(\.\/no-such-program\)$/,
    leaves: TOOLCHAIN,
    caches: ['warm'],
  },
  {
    name: 'exec a file that is not executable',
    args: (f) => ['exec', 'linux/amd64', '--', f.file('not-executable')],
    exit: 2,
    stderr:
      /^cannot run \S+not-executable: permission denied \(EACCES\); make it executable \(chmod \+x \S+not-executable\) or run it through its interpreter$/,
    leaves: TOOLCHAIN,
    caches: ['warm'],
  },
  {
    name: 'exec a path that does not exist',
    args: (f) => ['exec', 'linux/amd64', '--', f.file('no-such-program')],
    exit: 2,
    stderr: /^cannot run \S+no-such-program: no such file \(ENOENT\); check the path$/,
    leaves: TOOLCHAIN,
    caches: ['warm'],
  },
  {
    name: 'exec a directory',
    args: (f) => ['exec', 'linux/amd64', '--', f.file('empty-dir')],
    exit: 2,
    stderr: /^cannot run \S+empty-dir: it is a directory \(EACCES\); name the program inside it$/,
    leaves: TOOLCHAIN,
    caches: ['warm'],
  },
];

/** The project files (xcc.json, package.json "xcc", xcc.lock.json) that lock, install and env read. */
const PROJECT: BadInput[] = [
  {
    name: 'lock outside a project',
    args: ['lock'],
    exit: 2,
    stderr:
      /^xcc lock needs a project config: create xcc\.json \(like \{"zig": "0\.15\.2", "targets": \["linux\/arm64"\]\}\) or an "xcc" field in package\.json$/,
  },
  {
    name: 'lock with an argument',
    args: ['lock', 'extra'],
    exit: 2,
    stderr: /^unused args: 'extra'/,
  },
  {
    name: 'lock with an xcc.json that is not JSON',
    args: ['lock'],
    project: { 'xcc.json': '{\n' },
    exit: 2,
    stderr: /^\S+xcc\.json is not valid JSON \(.*\); fix the file$/,
  },
  {
    name: 'lock with a malformed zig in xcc.json',
    args: ['lock'],
    project: { 'xcc.json': '{"zig": "nope"}\n' },
    exit: 2,
    stderr: /^invalid Zig version spec "nope"/,
  },
  {
    name: 'lock with an unknown target in xcc.json',
    args: ['lock'],
    project: { 'xcc.json': '{"targets": ["bogus/x"]}\n' },
    exit: 2,
    stderr: /^unknown GOOS 'bogus' in 'bogus\/x'/,
  },
  {
    name: 'install with targets that are not a list in xcc.json',
    args: ['install'],
    project: { 'xcc.json': '{"targets": "linux/arm64"}\n' },
    exit: 2,
    stderr:
      /^\S+xcc\.json: targets must be a list like \["linux\/arm64", "windows\/amd64"\], got string "linux\/arm64"$/,
  },
  {
    name: 'install with a setting xcc.json does not know',
    args: ['install'],
    project: { 'xcc.json': '{"bogus": 1}\n' },
    exit: 2,
    stderr: /^\S+xcc\.json: bogus is not a setting xcc knows; use "zig" and "targets"$/,
  },
  {
    name: 'env with a package.json whose "xcc" is not an object',
    args: ['env', 'linux/amd64'],
    project: { 'package.json': '{"xcc": 5}\n' },
    exit: 2,
    stderr:
      /^\S+package\.json: "xcc" must be an object like \{"targets": \["linux\/arm64"\]\}, got number 5$/,
  },
  {
    name: 'install --frozen outside a project',
    args: ['install', '--frozen'],
    exit: 2,
    stderr: /^--frozen needs a project \(xcc\.json, or "xcc" in package\.json\) with its xcc\.lock\.json$/,
  },
  {
    name: 'install --frozen with a lock that is not JSON',
    args: ['install', '--frozen'],
    project: { 'xcc.json': '{"zig": "0.15.2"}\n', 'xcc.lock.json': '{\n' },
    exit: 2,
    stderr: /^\S+xcc\.lock\.json is not valid JSON \(.*\); run 'xcc lock' to write it again$/,
  },
  {
    name: 'install --frozen with a lock of another version',
    args: ['install', '--frozen'],
    project: { 'xcc.json': '{"zig": "0.15.2"}\n', 'xcc.lock.json': '{"lockfileVersion": 9}\n' },
    exit: 2,
    stderr: /^\S+xcc\.lock\.json: lockfileVersion 9 is not 1; run 'xcc lock' to write it again$/,
  },
  {
    name: 'install --prewarm with an unknown target',
    args: ['install', '--prewarm', 'linux/bogus'],
    exit: 2,
    stderr: /^unknown GOARCH 'bogus' in 'linux\/bogus'/,
  },
  {
    name: 'install --prewarm naming no target',
    args: ['install', '--prewarm', ' , '],
    exit: 2,
    stderr: /^--prewarm names no target; give targets like --prewarm linux\/arm64,windows\/amd64$/,
  },
  {
    name: 'install --cxx without --prewarm',
    args: ['install', '--cxx'],
    exit: 2,
    stderr: /^--cxx says what --prewarm builds; add --prewarm <targets>$/,
  },
];

const DISPATCH: BadInput[] = [
  {
    name: 'dispatch with no target outside a project',
    args: ['dispatch'],
    exit: 2,
    stderr:
      /^name the targets, like 'xcc dispatch linux\/arm64 windows\/amd64', or list them in xcc\.json \("targets"\)$/,
  },
  {
    name: 'dispatch of an unknown target',
    args: ['dispatch', 'linux/arm64', 'linux/bogus'],
    exit: 2,
    stderr: /^unknown GOARCH 'bogus' in 'linux\/bogus'/,
  },
  {
    name: 'dispatch of two targets one CC cannot tell apart',
    args: ['dispatch'],
    project: { 'xcc.json': '{"targets": ["linux/amd64", {"target": "linux/amd64", "glibc": "2.28"}]}\n' },
    exit: 2,
    stderr:
      /^linux-amd64-musl and linux-amd64-glibc2\.28 are both linux\/amd64 with the same GOAMD64: .*; keep one of them/,
  },
  {
    name: 'dispatch --dir with --format',
    args: ['dispatch', '--dir', '--format', 'sh', 'linux/arm64'],
    exit: 2,
    stderr: /^--dir prints a directory, not an environment; drop --format$/,
  },
  {
    name: 'dispatch --format github',
    args: ['dispatch', '--format', 'github', 'linux/arm64'],
    exit: 2,
    stderr: /^--format github is for 'xcc env'/,
  },
  {
    name: 'dispatch --write to a directory',
    args: (f) => ['dispatch', '--write', f.dir, 'linux/arm64'],
    exit: 2,
    stderr: /^--write .* is a directory; name a file to write/,
  },
  {
    name: 'setup --undo with a target',
    args: ['setup', '--undo', 'linux/arm64'],
    exit: 2,
    stderr: /^--undo takes no targets; run 'xcc setup --undo'$/,
  },
  {
    name: 'setup with go env -w turned off (GOENV=off)',
    args: ['setup', 'linux/arm64'],
    env: () => ({ GOENV: 'off' }),
    exit: 2,
    stderr: /^go env -w cannot write here \(GOENV=off: go has no env file\)/,
  },
];

/** A minisign signature line (74 bytes), a plausible thing to paste where the key goes. */
const SIGNATURE_LINE = Buffer.concat([Buffer.from('ED'), Buffer.alloc(72, 7)]).toString('base64');

function quote(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const GROUPS: Record<string, BadInput[]> = {
  command: COMMANDS,
  version: VERSIONS,
  '--source': SOURCES,
  '--from': FROM,
  'prune/cache/inspect': PRUNE_CACHE_INSPECT,
  setting: SETTINGS,
  target: TARGETS,
  'env --write': WRITES,
  exec: EXEC,
  project: PROJECT,
  'dispatch/setup': DISPATCH,
};

const CACHES: CacheKind[] = ['empty', 'warm'];
const ROWS = Object.entries(GROUPS).flatMap(([area, rows]) =>
  rows.flatMap((row) =>
    (row.caches ?? CACHES).map((cache) => ({ ...row, ...(cache === 'warm' ? row.warm : {}), area, cache })),
  ),
);

let fixtures: Fixtures;
/** A cache with the test Zig installed, which warm runs hard-link (cp -al) into their own XCC_HOME. */
let warmTemplate: string | undefined;
let warmTree = new Set<string>();

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-input-'));
  const file = (name: string) => path.join(dir, name);
  const dead = await startMirrorServer();
  const deadUrl = dead.url;
  await dead.close();
  const index = `${JSON.stringify(zigIndex(deadUrl, []))}\n`;
  const server = await startMirrorServer({
    files: {
      '/html': { body: '<!DOCTYPE html><html><body>Sign in</body></html>\n', contentType: 'text/html' },
      '/index.json': index,
    },
  });
  const broken = JSON.parse(index);
  broken[VERSION][zigHostKey()].shasum = 'nope';
  await Promise.all([
    writeFile(file('index.json'), index),
    writeFile(file('garbage.json'), 'root:x:0:0:root:/root:/bin/bash\n'),
    writeFile(file('array.json'), '[1, 2]\n'),
    writeFile(file('empty.json'), '{}\n'),
    writeFile(file('bad-sha.json'), JSON.stringify(broken)),
    writeFile(file('pip.conf'), '[global]\nindex-url = notaurl\n'),
    mkdir(file('empty-dir')),
    mkdir(file('iPhoneOS.sdk')).then(() =>
      writeFile(
        file('iPhoneOS.sdk/SDKSettings.json'),
        '{"Version":"18.0","MaximumDeploymentTarget":"18.0.99"}\n',
      ),
    ),
    mkdir(file('MacOSX26.4.sdk/usr/lib'), { recursive: true }).then(() =>
      Promise.all([
        writeFile(
          file('MacOSX26.4.sdk/SDKSettings.json'),
          '{"Version":"26.4","MaximumDeploymentTarget":"26.4.99"}\n',
        ),
        writeFile(
          file('MacOSX26.4.sdk/usr/lib/libSystem.tbd'),
          "--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos, arm64e-macos ]\ninstall-name: '/usr/lib/libSystem.B.dylib'\n...\n",
        ),
      ]),
    ),
    mkdir(file('lonely')).then(() => writeFile(file(`lonely/${TARBALL}`), 'not really xz\n')),
    mkdir(file(`damaged-home/v1/zig/${VERSION}`), { recursive: true }).then(() =>
      writeFile(file(`damaged-home/v1/zig/${VERSION}/.xcc-install.json`), '{"version":"0.15.2"}\n'),
    ),
    writeFile(file('old-zig'), '#!/bin/sh\necho 0.10.1\n').then(() => chmod(file('old-zig'), 0o755)),
    writeFile(file('not-executable'), '#!/bin/sh\necho ran\n'),
  ]);
  fixtures = { dir, dead: deadUrl, server, index: file('index.json'), file };
  warmTemplate = await installWarmCache(dir);
  if (warmTemplate) warmTree = new Set(treeOf(warmTemplate));
});

afterAll(async () => {
  await fixtures?.server.close();
});

/** `xcc install` of the test Zig from a loopback mirror into a new cache; undefined without a test Zig. */
async function installWarmCache(dir: string): Promise<string | undefined> {
  const zig = providedTestZig();
  if (!zig) return undefined;
  const mirror = await startZigMirror(zig, { artifacts: [zig.release] });
  const origin = await startZigMirror(zig, { layout: 'ziglang.org', artifacts: [zig.release] });
  try {
    const home = path.join(dir, 'warm-home');
    const installed = await runXcc(['install', zig.version, '--quiet'], {
      env: {
        XCC_HOME: home,
        XCC_ZIG_INDEX: `${origin.url}/download/index.json`,
        XCC_ZIG_MIRROR: mirror.base,
        XCC_ZIG_PUBKEY: zig.key.publicKey,
      },
    });
    if (installed.exitCode !== 0) throw new Error(`cannot warm the cache: ${installed.stderr}`);
    return home;
  } finally {
    await Promise.all([mirror.close(), origin.close()]);
  }
}

/** The run's own cache: empty, or the warm template hard-linked (a few hundred ms for its 19,000 files). */
async function cacheFor(kind: CacheKind, context: Parameters<typeof needTestZig>[0]) {
  const home = await mkdtemp(path.join(os.tmpdir(), `xcc-reliability-input-${kind}-`));
  if (kind === 'empty') return { home, before: new Set<string>() };
  needTestZig(context);
  const copied = await runAsync('cp', ['-al', `${warmTemplate!}/.`, home]);
  if (copied.status !== 0) throw new Error(`cp -al: ${copied.stderr}`);
  return { home, before: warmTree };
}

/**
 * What a cache may gain from a refused command: its own (empty) directories, a cached index, and the
 * last-used stamp of the Zig a command used (what `xcc prune --older-than` reads).
 */
const BOOKKEEPING =
  /^v1(\/(tmp|locks|zig|meta|toolchains))?$|^v1\/meta\/index\.json-[0-9a-f]+\.json$|^v1\/zig\/[^/]+\/\.xcc-last-used$/;

describe.concurrent('bad input: exit 2 or 1, one line naming the fix, no stack', { timeout: 60_000 }, () => {
  it.for(ROWS)('$area ($cache cache): $name', async (row, context) => {
    const f = fixtures;
    const { home, before } = await cacheFor(row.cache, context);
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-input-project-'));
    for (const [name, text] of Object.entries(row.project ?? {})) await writeFile(path.join(cwd, name), text);
    const args = typeof row.args === 'function' ? row.args(f) : row.args;
    const result = await runXcc(args, {
      cwd,
      env: {
        XCC_HOME: home,
        XCC_ZIG_INDEX: f.index,
        XCC_ZIG_MIRROR: `${f.dead}/zig`,
        XCC_PYPI_INDEX_URL: `${f.dead}/simple`,
        XCC_HTTP_TIMEOUT: '5',
        SDKROOT: undefined,
        GITHUB_ENV: undefined,
        GITHUB_ACTIONS: undefined,
        ...row.env?.(f),
      },
    });
    expect(result.exitCode, result.stderr).toBe(row.exit);
    expect(result.stderr).not.toMatch(/^ {4}at |internal error/m);
    if (row.stderr === undefined) {
      expect(result.stderr).toBe('');
    } else {
      expect(result.stderr.endsWith('\n') && result.stderr.split('\n'), result.stderr).toHaveLength(2);
      expect(result.stderr.startsWith('xcc: '), result.stderr).toBe(true);
      expect(result.stderr.slice('xcc: '.length, -1)).toMatch(row.stderr);
    }
    if (row.stdout === undefined) expect(result.stdout).toBe('');
    else expect(result.stdout).toMatch(row.stdout);
    // Nothing half-written: nothing gone, and nothing new but bookkeeping (or what the row names).
    const after = new Set(treeOf(home));
    expect(
      [...before].filter((entry) => !after.has(entry)),
      'gone from the cache',
    ).toEqual([]);
    const added = [...after].filter((entry) => !before.has(entry));
    expect(
      added.filter((entry) => !BOOKKEEPING.test(entry) && !row.leaves?.test(entry)),
      'left in the cache',
    ).toEqual([]);
  });
});
