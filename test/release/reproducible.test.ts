import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { cFlagsFor, gitCommitTime, reproducibleEnv } from '../../src/release/reproducible.js';
import { run } from '../support/builds.js';
import { needTestZig, providedZigCompiler } from '../support/provided-zig.js';
import { mustRun } from '../support/toolchains.js';
import { needCommand } from '../support/tools.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-reproducible-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A git repository with one commit made at `epoch`, and nothing from the developer's git config. */
function gitRepo(name: string, epoch: number): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'xcc',
    GIT_AUTHOR_EMAIL: 'xcc@example.com',
    GIT_COMMITTER_NAME: 'xcc',
    GIT_COMMITTER_EMAIL: 'xcc@example.com',
    GIT_AUTHOR_DATE: `@${epoch} +0000`,
    GIT_COMMITTER_DATE: `@${epoch} +0000`,
  };
  mustRun('git', ['init', '-q', dir], { env });
  writeFileSync(path.join(dir, 'go.mod'), 'module example.com/app\n');
  mustRun('git', ['add', 'go.mod'], { cwd: dir, env });
  mustRun('git', ['commit', '-q', '--no-gpg-sign', '-m', 'first'], { cwd: dir, env });
  return dir;
}

describe('reproducibleEnv', () => {
  it('takes SOURCE_DATE_EPOCH when set, and keeps the caller’s C flags', async () => {
    const result = await reproducibleEnv({
      sourceDir: work,
      env: { SOURCE_DATE_EPOCH: '1700000000', CGO_CFLAGS: '-O1 -DAPP=1', CGO_LDFLAGS: '-O2 -g -lm -ggdb' },
    });
    expect(result).toMatchObject({ sourceDateEpoch: 1700000000, epochFrom: 'SOURCE_DATE_EPOCH' });
    expect(result.env).toEqual({
      SOURCE_DATE_EPOCH: '1700000000',
      CGO_CFLAGS: '-O1 -DAPP=1 -Wno-date-time -DXCC_SOURCE_DATE_EPOCH=1700000000',
      // Unset: Go's default, which setting the variable would otherwise lose.
      CGO_CXXFLAGS: '-O2 -g -Wno-date-time -DXCC_SOURCE_DATE_EPOCH=1700000000',
      CGO_LDFLAGS: '-O2 -lm',
    });
  });

  it("keeps the C flags of the user's go env file, and Go's default for an empty variable", async (context) => {
    needCommand(context, 'go');
    const goEnv = path.join(work, 'go.env');
    writeFileSync(goEnv, 'CGO_CFLAGS=-O1 -DFROM_FILE\n');
    const result = await reproducibleEnv({
      sourceDir: work,
      env: {
        ...process.env,
        GOENV: goEnv,
        SOURCE_DATE_EPOCH: '86400',
        CGO_CXXFLAGS: '',
        CGO_LDFLAGS: undefined,
      },
    });
    expect(result.env).toMatchObject({
      CGO_CFLAGS: '-O1 -DFROM_FILE -Wno-date-time -DXCC_SOURCE_DATE_EPOCH=86400',
      CGO_CXXFLAGS: '-O2 -g -Wno-date-time -DXCC_SOURCE_DATE_EPOCH=86400',
      CGO_LDFLAGS: '-O2',
    });
  });

  it('takes the last commit time in a git work tree', async (context) => {
    needCommand(context, 'git');
    const repo = gitRepo('committed', 1234567890);
    mkdirSync(path.join(repo, 'cmd', 'app'), { recursive: true });
    const result = await reproducibleEnv({ sourceDir: path.join(repo, 'cmd', 'app'), env: {} });
    expect(result).toMatchObject({ sourceDateEpoch: 1234567890, epochFrom: 'git' });
    expect(result.env.SOURCE_DATE_EPOCH).toBe('1234567890');
  });

  it('is 0 outside git history', async () => {
    const dir = path.join(work, 'plain');
    mkdirSync(dir);
    expect(await reproducibleEnv({ sourceDir: dir, env: {} })).toMatchObject({
      sourceDateEpoch: 0,
      epochFrom: 'fixed',
    });
  });

  it.for(['yesterday', '-1', '1.5', '253402300800', ' 12'])(
    'refuses SOURCE_DATE_EPOCH=%j in one line',
    async (value) => {
      const attempt = reproducibleEnv({ sourceDir: work, env: { SOURCE_DATE_EPOCH: value } });
      await expect(attempt).rejects.toBeInstanceOf(UsageError);
      await expect(attempt).rejects.toThrow(
        /^SOURCE_DATE_EPOCH=.* is not a time: set it to whole seconds since 1970/,
      );
    },
  );

  it('reads a hostile repository without running what its config names', async (context) => {
    needCommand(context, 'git');
    const repo = gitRepo('hostile', 1000000000);
    const ran = path.join(work, 'hostile-ran');
    const script = path.join(work, 'hostile.sh');
    writeFileSync(script, `#!/bin/sh\ntouch '${ran}'\n`, { mode: 0o755 });
    // HEAD carries a signature, which plain `git log` hands to the repository's own "gpg" when
    // log.showSignature is on (checked below: the attack is real); also a fsmonitor hook and a pager.
    const tree = mustRun('git', ['rev-parse', 'HEAD^{tree}'], { cwd: repo }).trim();
    const signed = path.join(work, 'signed-commit');
    const signature = ' -----BEGIN PGP SIGNATURE-----\n \n c2lnbmVk\n -----END PGP SIGNATURE-----';
    const person = 'xcc <xcc@example.com> 1000000000 +0000';
    writeFileSync(
      signed,
      `tree ${tree}\nauthor ${person}\ncommitter ${person}\ngpgsig${signature}\n\nsigned\n`,
    );
    const commit = mustRun('git', ['hash-object', '-t', 'commit', '-w', signed], { cwd: repo }).trim();
    mustRun('git', ['update-ref', 'HEAD', commit], { cwd: repo });
    for (const [key, value] of <[string, string][]>[
      ['core.fsmonitor', script],
      ['log.showSignature', 'true'],
      ['gpg.program', script],
      ['core.pager', script],
    ])
      mustRun('git', ['config', key, value], { cwd: repo });
    expect(await gitCommitTime(repo)).toBe(1000000000);
    expect(existsSync(ran)).toBe(false);
    // The same question asked plainly runs the repository's program: what the options above prevent.
    mustRun('git', ['log', '-1', '--format=%ct', 'HEAD'], { cwd: repo });
    expect(existsSync(ran)).toBe(true);
  });
});

describe('zig cc and __DATE__', () => {
  const zig = providedZigCompiler();
  const compile = (source: string, env: NodeJS.ProcessEnv, flags: string[]) => {
    const dir = path.join(work, 'date');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'when.c'), source);
    const object = path.join(dir, 'when.o');
    rmSync(object, { force: true });
    const ran = run(
      zig!.zig,
      ['cc', '-target', 'x86_64-linux-musl', '-O2', ...flags, '-c', '-o', object, 'when.c'],
      {
        cwd: dir,
        env: { ...zig!.env, ...env },
      },
    );
    return {
      status: ran.status,
      stderr: ran.stderr,
      text: ran.status === 0 ? readFileSync(object, 'latin1') : '',
    };
  };

  it('refuses __DATE__ in an optimized build unless the reproducible flags say the epoch fixes it', (context) => {
    needTestZig(context);
    // Unique per run, so that zig's cache cannot answer from an earlier run.
    const source = `const char *when = __DATE__ " " __TIME__ " ${Date.now()}-${process.pid}";\n`;
    const refused = compile(source, {}, []);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      'expansion of date or time macro is not reproducible [-Werror,-Wdate-time]',
    );
    const fixed = compile(source, { SOURCE_DATE_EPOCH: '86400' }, cFlagsFor(86400));
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(fixed.text).toContain('Jan  2 1970 00:00:00');
  });

  it('needs the epoch in the flags: zig’s cache does not key on SOURCE_DATE_EPOCH', (context) => {
    needTestZig(context);
    const source = `const char *when = __DATE__ " ${Date.now()}-${process.pid}";\n`;
    // Only the variable changes: zig answers the second compile from its cache, with the first's date.
    expect(compile(source, { SOURCE_DATE_EPOCH: '0' }, ['-Wno-date-time']).text).toContain('Jan  1 1970');
    expect(compile(source, { SOURCE_DATE_EPOCH: '86400' }, ['-Wno-date-time']).text).toContain('Jan  1 1970');
    // With the epoch in the flags, the cache key changes with it.
    expect(compile(source, { SOURCE_DATE_EPOCH: '86400' }, cFlagsFor(86400)).text).toContain('Jan  2 1970');
  });
});
