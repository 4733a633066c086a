import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PypiFile, parsePypiProject, selectWheel } from '../../scripts/pypi-wheels.js';
import { XccError } from '../../src/errors.js';
import { zigConfig } from '../../src/zig/distribution.js';
import { pypiVersionsFor } from '../../src/zig/sources/pypi.js';
import { projectRoot } from '../support/paths.js';

// A real snapshot of PyPI's project JSON for `ziglang` (see its $comment).
const snapshotText = readFileSync(path.join(projectRoot, 'test', 'fixtures', 'pypi-ziglang.json'), 'utf8');
const files = parsePypiProject(snapshotText, 'pypi-ziglang.json');
const pypi = zigConfig().pypi;

const wheelFor = (version: string, host: string, from: Record<string, PypiFile[]> = files) =>
  selectWheel(
    host,
    pypiVersionsFor(version, Object.keys(from)).map((v) => ({ version: v, files: from[v]! })),
    pypi,
  );

describe('selectWheel on the real PyPI data', () => {
  it.each([
    [
      '0.15.2',
      'x86_64-linux',
      '0.15.2',
      'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl',
    ],
    ['0.15.2', 'aarch64-macos', '0.15.2', 'ziglang-0.15.2-py3-none-macosx_12_0_arm64.whl'],
    ['0.15.2', 'x86-windows', '0.15.2', 'ziglang-0.15.2-py3-none-win32.whl'],
    [
      '0.15.2',
      'arm-linux',
      '0.15.2',
      'ziglang-0.15.2-py3-none-manylinux_2_17_armv7l.manylinux2014_armv7l.musllinux_1_1_armv7l.whl',
    ],
    [
      '0.15.2',
      'riscv64-linux',
      '0.15.2',
      'ziglang-0.15.2-py3-none-manylinux_2_31_riscv64.musllinux_1_1_riscv64.whl',
    ],
    ['0.12.0', 'x86_64-macos', '0.12.0', 'ziglang-0.12.0-py3-none-macosx_10_9_x86_64.whl'],
    // 0.13.0.post1 re-published every wheel and added ppc64le: the post release wins.
    [
      '0.13.0',
      'x86_64-linux',
      '0.13.0.post1',
      'ziglang-0.13.0.post1-py3-none-manylinux_2_12_x86_64.manylinux2010_x86_64.musllinux_1_1_x86_64.whl',
    ],
    [
      '0.13.0',
      'powerpc64le-linux',
      '0.13.0.post1',
      'ziglang-0.13.0.post1-py3-none-manylinux_2_17_ppc64le.manylinux2014_ppc64le.musllinux_1_1_ppc64le.whl',
    ],
    // 0.17.0 first shipped 6 platforms; 0.17.0.post0 shipped all 12.
    ['0.17.0', 'aarch64-windows', '0.17.0.post0', 'ziglang-0.17.0.post0-py3-none-win_arm64.whl'],
  ])('Zig %s for %s is PyPI %s: %s', (version, host, pypiVersion, file) => {
    expect(wheelFor(version, host)).toMatchObject({ version: pypiVersion, file });
  });

  it('gives the size and sha256 PyPI lists, and the URL where PyPI stores the file', () => {
    expect(wheelFor('0.15.2', 'aarch64-macos')).toEqual({
      version: '0.15.2',
      file: 'ziglang-0.15.2-py3-none-macosx_12_0_arm64.whl',
      // As pypi.org/simple/ziglang/ links it.
      url: 'https://files.pythonhosted.org/packages/d7/2e/42c49a5b539a595ff5f2293de0bd339636875e44b4c69f51470bdf1d599d/ziglang-0.15.2-py3-none-macosx_12_0_arm64.whl',
      size: 92993702,
      sha256: 'acae2a9ce67ed249ad68d42c21bc73b5f9d51a33ba5ea42f609f78683e8d9bb7',
    });
  });

  it.each([
    ['0.15.2', 'loongarch64-linux'],
    ['0.15.2', 'x86_64-freebsd'],
    ['0.12.1', 'powerpc64le-linux'],
    ['0.12.0', 'aarch64-windows'],
    ['0.11.0', 'x86_64-linux'],
  ])('finds no wheel of %s for %s', (version, host) => {
    expect(wheelFor(version, host)).toBeUndefined();
  });

  it('falls back to an older publication when the newest lacks the host', () => {
    const partial = {
      ...files,
      '0.15.2.post1': files['0.15.2']!.filter((f) => !f.filename.includes('s390x')),
    };
    expect(wheelFor('0.15.2', 'x86_64-linux', partial)?.version).toBe('0.15.2.post1');
    expect(wheelFor('0.15.2', 's390x-linux', partial)?.version).toBe('0.15.2');
  });

  it('skips yanked files', () => {
    const yanked = { ...files, '0.13.0.post1': files['0.13.0.post1']!.map((f) => ({ ...f, yanked: true })) };
    expect(wheelFor('0.13.0', 'x86_64-linux', yanked)?.version).toBe('0.13.0');
    expect(wheelFor('0.13.0', 'powerpc64le-linux', yanked)).toBeUndefined();
  });
});

describe('parsePypiProject', () => {
  it('reads every version of the snapshot', () => {
    expect(Object.keys(files)).toContain('0.13.0.post1');
    expect(files['0.15.2']).toHaveLength(12);
  });

  it.each([
    ['{"releases": []}', 'pypi.json: releases is not an object'],
    [
      '{"releases": {"0.15.2": [{"filename": "z.whl"}]}}',
      'pypi.json: releases."0.15.2"[0].size is not a size',
    ],
    [
      '{"releases": {"0.15.2": [{"filename": "../z.whl"}]}}',
      'releases."0.15.2"[0].filename is not a file name: "../z.whl"',
    ],
    [
      '{"releases": {"0.15.2": [{"filename": "z.whl", "size": "1", "digests": {}}]}}',
      'pypi.json: releases."0.15.2"[0].size is not a size in bytes: "1"',
    ],
    [
      '{"releases": {"0.15.2": [{"filename": "z.whl", "size": 1, "digests": {"sha256": "x"}}]}}',
      'pypi.json: releases."0.15.2"[0].digests.sha256 is not a sha256: "x"',
    ],
    [
      `{"releases": {"0.15.2": [{"filename": "z.whl", "size": 1, "digests": {"sha256": "${'a'.repeat(64)}"}}]}}`,
      'pypi.json: releases."0.15.2"[0].digests.blake2b_256 is not a string',
    ],
  ])('rejects %s, naming the place', (text, message) => {
    expect(() => parsePypiProject(text, 'pypi.json')).toThrow(XccError);
    expect(() => parsePypiProject(text, 'pypi.json')).toThrow(message);
  });
});
