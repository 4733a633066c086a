import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GO_DEFAULT_CGO_FLAGS, goCgoFlags, withoutDebug } from '../../src/release/cgo-flags.js';
import { needCommand } from '../support/tools.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-cgo-flags-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A go env file (what `go env -w` writes) holding these lines. */
function goEnvFile(name: string, lines: string[]): string {
  const file = path.join(work, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('the C flags go builds with', () => {
  it('are what the real go reports: the variable, else the go env file, else the default', async (context) => {
    needCommand(context, 'go');
    const file = goEnvFile('go.env', ['CGO_CFLAGS=-O1 -DFROM_FILE', 'CGO_LDFLAGS=-g -O2']);
    expect(await goCgoFlags({ ...process.env, GOENV: file, CGO_LDFLAGS: '-lm' })).toEqual({
      CGO_CFLAGS: '-O1 -DFROM_FILE',
      CGO_CXXFLAGS: GO_DEFAULT_CGO_FLAGS,
      CGO_LDFLAGS: '-lm',
    });
    // An empty variable is unset to go: the file's value stands, or the default.
    expect((await goCgoFlags({ ...process.env, GOENV: file, CGO_LDFLAGS: '' })).CGO_LDFLAGS).toBe('-g -O2');
    expect(await goCgoFlags({ ...process.env, GOENV: 'off', CGO_CFLAGS: '' })).toEqual({
      CGO_CFLAGS: GO_DEFAULT_CGO_FLAGS,
      CGO_CXXFLAGS: GO_DEFAULT_CGO_FLAGS,
      CGO_LDFLAGS: GO_DEFAULT_CGO_FLAGS,
    });
  });

  it('are read from the environment when go cannot say', async () => {
    const missing = path.join(work, 'no-such-go');
    expect(await goCgoFlags({ CGO_CFLAGS: '-O1', CGO_LDFLAGS: '' }, { go: missing })).toEqual({
      CGO_CFLAGS: '-O1',
      CGO_CXXFLAGS: GO_DEFAULT_CGO_FLAGS,
      CGO_LDFLAGS: GO_DEFAULT_CGO_FLAGS,
    });
  });

  it('lose every -g level at the link, and nothing else', () => {
    expect(withoutDebug('-O2 -g -lm -ggdb -g3 -g0  -Wl,--gc-sections')).toBe('-O2 -lm -g0 -Wl,--gc-sections');
  });
});
