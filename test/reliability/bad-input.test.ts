import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseFileName, zigHostKey } from '../../src/zig/host.js';
import { runXcc } from '../support/cli.js';
import { type MirrorServer, startMirrorServer } from '../support/mirror-server.js';
import { recordCategory } from '../support/reliability.js';
import { defaultZigVersion } from '../support/test-zig.js';
import { zigIndex } from '../support/zig-mirror.js';

/**
 * Bad input for every command, flag and setting: each must end with exit code 2 (usage: the input is
 * wrong) or 1 (a failure the input led to), and exactly ONE line on stderr that says what is wrong and how
 * to fix it, never a stack trace. The table is grouped by area; a new command or setting adds a group.
 *
 * Every row runs with a fresh XCC_HOME and settings that keep it off the internet: a private index file
 * (the real index.json with its URLs moved to a dead port), dead mirror and PyPI URLs, a short timeout.
 */

recordCategory(
  'bad-input',
  'Bad input',
  'Unknown commands and options, malformed versions and specs, bad --source and --from, prune/cache/inspect misuse, and bad settings (XCC_ZIG_MIRROR, XCC_ZIG_INDEX, XCC_ZIG_PUBKEY, XCC_PYPI_INDEX_URL, pip config, XCC_HOME, XCC_ZIG, XCC_HTTP_TIMEOUT, proxies, CA files, offline): exit 2 or 1 with exactly one line naming the fix, no stack trace.',
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
}

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
];

const install = ['install'];

const SETTINGS: BadInput[] = [
  {
    name: 'XCC_ZIG_MIRROR that is not a URL',
    args: install,
    env: () => ({ XCC_ZIG_MIRROR: 'notaurl' }),
    exit: 2,
    stderr:
      /^XCC_ZIG_MIRROR: "notaurl" is not a URL; give base URLs separated by commas, like https:\/\/mirror\.example\/zig$/,
  },
  {
    name: 'XCC_ZIG_MIRROR with an ftp:// URL',
    args: install,
    env: () => ({ XCC_ZIG_MIRROR: 'ftp://mirror.example/zig' }),
    exit: 2,
    stderr: /^XCC_ZIG_MIRROR: "ftp:\/\/mirror\.example\/zig" is not an http\(s\) URL$/,
  },
  {
    name: 'XCC_ZIG_MIRROR with only commas',
    args: install,
    env: () => ({ XCC_ZIG_MIRROR: ' , ,' }),
    exit: 2,
    stderr: /^XCC_ZIG_MIRROR=", ," names no mirror; give base URLs separated by commas/,
  },
  {
    name: 'XCC_ZIG_INDEX naming a missing file',
    args: install,
    env: () => ({ XCC_ZIG_INDEX: '/nonexistent/index.json' }),
    exit: 2,
    stderr:
      /^XCC_ZIG_INDEX: cannot read \/nonexistent\/index\.json \(ENOENT\); set it to an index\.json file or an http\(s\) URL$/,
  },
  {
    name: 'XCC_ZIG_INDEX naming a directory',
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('empty-dir') }),
    exit: 2,
    stderr: /^XCC_ZIG_INDEX: cannot read \S+ \(EISDIR\)/,
  },
  {
    name: 'XCC_ZIG_INDEX naming a file that is not JSON',
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('garbage.json') }),
    exit: 1,
    stderr: /^XCC_ZIG_INDEX \(\S+\): the document is not valid JSON \(/,
  },
  {
    name: 'XCC_ZIG_INDEX naming a JSON array',
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('array.json') }),
    exit: 1,
    stderr: /^XCC_ZIG_INDEX \(\S+\): the document is not an object$/,
  },
  {
    name: 'XCC_ZIG_INDEX naming an index without releases',
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('empty.json') }),
    exit: 1,
    stderr: /^no Zig release matches "0\.15\.2 \(the default\)"; no release is available/,
  },
  {
    name: 'XCC_ZIG_INDEX naming an index with a broken sha256',
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: f.file('bad-sha.json') }),
    exit: 1,
    stderr: /^XCC_ZIG_INDEX \(\S+\): "0\.15\.2"\."[\w-]+"\.shasum is not a sha256: "nope"$/,
  },
  {
    name: 'XCC_ZIG_INDEX with a file: URL naming a host',
    args: install,
    env: () => ({ XCC_ZIG_INDEX: 'file://fileserver/index.json' }),
    exit: 2,
    stderr: /^XCC_ZIG_INDEX=file:\/\/fileserver\/index\.json is not a local file URL \(/,
  },
  {
    name: 'XCC_ZIG_INDEX at a port nobody listens on',
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: `${f.dead}/index.json` }),
    exit: 1,
    stderr: /^cannot fetch http:\/\/127\.0\.0\.1:\d+\/index\.json: connect ECONNREFUSED/,
  },
  {
    name: 'XCC_ZIG_INDEX at a URL answering an HTML page',
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: `${f.server.url}/html` }),
    exit: 1,
    stderr: /^XCC_ZIG_INDEX \(http:\S+\/html\): the document is not valid JSON/,
  },
  {
    name: 'XCC_ZIG_INDEX at a URL answering 404',
    args: install,
    env: (f) => ({ XCC_ZIG_INDEX: `${f.server.url}/missing.json` }),
    exit: 1,
    stderr: /^cannot fetch \S+\/missing\.json: HTTP 404$/,
  },
  {
    name: 'XCC_ZIG_PUBKEY that is not base64',
    args: install,
    env: () => ({ XCC_ZIG_PUBKEY: 'not a key' }),
    exit: 2,
    stderr:
      /^malformed minisign public key: the key is not valid base64; XCC_ZIG_PUBKEY takes the key line of a minisign\.pub file/,
  },
  {
    name: 'XCC_ZIG_PUBKEY holding a signature line',
    args: install,
    env: () => ({ XCC_ZIG_PUBKEY: SIGNATURE_LINE }),
    exit: 2,
    stderr: /^malformed minisign public key: the key is 74 bytes, expected 42;/,
  },
  {
    name: 'XCC_ZIG_PUBKEY with three lines',
    args: install,
    env: () => ({ XCC_ZIG_PUBKEY: 'a\nb\nc' }),
    exit: 2,
    stderr: /^malformed minisign public key: expected 1 or 2 lines, got 3;/,
  },
  {
    name: 'XCC_ZIG_PUBKEY of another algorithm',
    args: install,
    env: () => ({
      XCC_ZIG_PUBKEY: Buffer.concat([Buffer.from('Xd'), Buffer.alloc(40, 1)]).toString('base64'),
    }),
    exit: 2,
    stderr: /^malformed minisign public key: unknown algorithm "Xd";/,
  },
  {
    name: 'XCC_PYPI_INDEX_URL that is not a URL',
    args: ['install', '--source', 'pypi'],
    env: () => ({ XCC_PYPI_INDEX_URL: 'notaurl' }),
    exit: 2,
    stderr:
      /^XCC_PYPI_INDEX_URL: "notaurl" is not an http\(s\) URL of a Python package index \(like https:\/\/pypi\.org\/simple\)$/,
  },
  {
    name: 'XCC_PYPI_INDEX_URL with an ftp:// URL',
    args: ['install', '--source', 'pypi'],
    env: () => ({ XCC_PYPI_INDEX_URL: 'ftp://pypi.example/simple' }),
    exit: 2,
    stderr: /^XCC_PYPI_INDEX_URL: "ftp:\/\/pypi\.example\/simple" is not an http\(s\) URL/,
  },
  {
    name: 'PIP_INDEX_URL that is not a URL',
    args: ['install', '--source', 'pypi'],
    env: () => ({ XCC_PYPI_INDEX_URL: undefined, PIP_INDEX_URL: 'notaurl' }),
    exit: 2,
    stderr: /^PIP_INDEX_URL: "notaurl" is not an http\(s\) URL/,
  },
  {
    name: 'a pip.conf whose index-url is not a URL',
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
    args: install,
    env: () => ({ XCC_HTTP_TIMEOUT: 'soon' }),
    exit: 2,
    stderr:
      /^XCC_HTTP_TIMEOUT=soon: expected the longest wait for the network in seconds, a number above 0 and up to 3600, like 30$/,
  },
  {
    name: 'XCC_HTTP_TIMEOUT of zero',
    args: install,
    env: () => ({ XCC_HTTP_TIMEOUT: '0' }),
    exit: 2,
    stderr: /^XCC_HTTP_TIMEOUT=0: expected/,
  },
  {
    name: 'XCC_HTTP_TIMEOUT negative',
    args: install,
    env: () => ({ XCC_HTTP_TIMEOUT: '-5' }),
    exit: 2,
    stderr: /^XCC_HTTP_TIMEOUT=-5: expected/,
  },
  {
    name: 'XCC_HTTP_TIMEOUT with a unit',
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

/** A minisign signature line (74 bytes), a plausible thing to paste where the key goes. */
const SIGNATURE_LINE = Buffer.concat([Buffer.from('ED'), Buffer.alloc(72, 7)]).toString('base64');

function quote(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const ROWS: Array<BadInput & { area: string }> = [
  ...COMMANDS.map((row) => ({ ...row, area: 'command' })),
  ...VERSIONS.map((row) => ({ ...row, area: 'version' })),
  ...SOURCES.map((row) => ({ ...row, area: '--source' })),
  ...FROM.map((row) => ({ ...row, area: '--from' })),
  ...PRUNE_CACHE_INSPECT.map((row) => ({ ...row, area: 'prune/cache/inspect' })),
  ...SETTINGS.map((row) => ({ ...row, area: 'setting' })),
];

let fixtures: Fixtures;

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
    mkdir(file('lonely')).then(() => writeFile(file(`lonely/${TARBALL}`), 'not really xz\n')),
    mkdir(file(`damaged-home/v1/zig/${VERSION}`), { recursive: true }).then(() =>
      writeFile(file(`damaged-home/v1/zig/${VERSION}/.xcc-install.json`), '{"version":"0.15.2"}\n'),
    ),
    writeFile(file('old-zig'), '#!/bin/sh\necho 0.10.1\n').then(() => chmod(file('old-zig'), 0o755)),
  ]);
  fixtures = { dir, dead: deadUrl, server, index: file('index.json'), file };
});

afterAll(async () => {
  await fixtures?.server.close();
});

describe.concurrent('bad input: exit 2 or 1, one line naming the fix, no stack', { timeout: 60_000 }, () => {
  it.for(ROWS)('$area: $name', async (row) => {
    const f = fixtures;
    const home = await mkdtemp(path.join(os.tmpdir(), 'xcc-reliability-input-home-'));
    const args = typeof row.args === 'function' ? row.args(f) : row.args;
    const result = await runXcc(args, {
      env: {
        XCC_HOME: home,
        XCC_ZIG_INDEX: f.index,
        XCC_ZIG_MIRROR: `${f.dead}/zig`,
        XCC_PYPI_INDEX_URL: `${f.dead}/simple`,
        XCC_HTTP_TIMEOUT: '5',
        ...row.env?.(f),
      },
    });
    expect(result.exitCode, result.stderr).toBe(row.exit);
    expect(result.stderr).not.toMatch(/^ {4}at |internal error/m);
    if (row.stderr === undefined) {
      expect(result.stderr).toBe('');
    } else {
      expect(result.stderr.endsWith('\n') && result.stderr.split('\n')).toHaveLength(2);
      expect(result.stderr.startsWith('xcc: '), result.stderr).toBe(true);
      expect(result.stderr.slice('xcc: '.length, -1)).toMatch(row.stderr);
    }
    if (row.stdout === undefined) expect(result.stdout).toBe('');
    else expect(result.stdout).toMatch(row.stdout);
  });
});
