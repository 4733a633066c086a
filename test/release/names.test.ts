import { describe, expect, it } from 'vitest';
import {
  artifactName,
  checkDistinctNames,
  checkNameTemplate,
  DEFAULT_NAME_TEMPLATE,
  defaultArtifactName,
} from '../../src/release/names.js';
import { resolveTarget, type TargetRequest } from '../../src/resolve/index.js';

const zigVersion = '0.15.2';

function name(request: TargetRequest | string, template = DEFAULT_NAME_TEMPLATE, base = 'app'): string {
  const target = resolveTarget(typeof request === 'string' ? { target: request } : request, { zigVersion });
  const defaultLibc = resolveTarget({ target: target.port }, { zigVersion }).libc;
  return artifactName(template, { name: base, target, defaultLibc });
}

describe('release artifact names', () => {
  it('are <name>-<goos>-<goarch>, with a variant only where the target differs from the default', () => {
    expect(name('linux/amd64')).toBe('app-linux-amd64');
    expect(name('linux/arm64')).toBe('app-linux-arm64');
    expect(name('windows/amd64')).toBe('app-windows-amd64.exe');
    expect(name('darwin/arm64')).toBe('app-darwin-arm64');
    expect(name('linux/arm/v7')).toBe('app-linux-arm-v7');
    expect(name('linux/amd64/v3')).toBe('app-linux-amd64-v3');
    expect(name({ target: 'linux/amd64', glibcVersion: '2.28' })).toBe('app-linux-amd64-glibc2.28');
    expect(name({ target: 'linux/arm/v7', glibcVersion: '2.31' })).toBe('app-linux-arm-v7-glibc2.31');
  });

  it('never give two distinct targets of a build the same name', () => {
    const requests: TargetRequest[] = [
      { target: 'linux/amd64' },
      { target: 'linux/amd64', libc: 'glibc' },
      { target: 'linux/amd64', glibcVersion: '2.31' },
      { target: 'linux/amd64/v3' },
      { target: 'linux/amd64/v3', glibcVersion: '2.28' },
      { target: 'linux/arm/v6' },
      { target: 'linux/arm/v7' },
      { target: 'linux/arm64' },
      { target: 'windows/amd64' },
      { target: 'windows/arm64' },
      { target: 'darwin/amd64' },
      { target: 'freebsd/amd64' },
    ];
    const names = requests.map((request) => name(request));
    expect(new Set(names).size).toBe(requests.length);
  });

  it('follow a template, and refuse one whose names collide, naming both targets', () => {
    expect(name('linux/arm/v7', '{name}_{id}{ext}')).toBe('app_linux-arm-v7-musl');
    const entries = ['linux/amd64', 'linux/arm64'].map((target) => ({
      id: resolveTarget({ target }, { zigVersion }).id,
      file: name(target, '{name}-{goos}'),
    }));
    expect(() => checkDistinctNames(entries)).toThrow(
      /linux-amd64-musl and linux-arm64-musl would both be written to app-linux; change --name-template/,
    );
  });

  it('refuse unknown placeholders and names that are no plain file name', () => {
    expect(() => checkNameTemplate('{name}-{arch}')).toThrow(/unknown placeholder \{arch\}/);
    expect(() => name('linux/amd64', '../{name}')).toThrow(/is not a plain file name/);
    expect(() => name('linux/amd64', '{name}', 'a b')).toThrow(/is not a plain file name/);
    expect(() => name('linux/amd64', '{name}\n{goos}')).toThrow(/is not a plain file name/);
  });

  it('take <name> from the import path as go build does, dropping a major version suffix', () => {
    expect(defaultArtifactName('example.com/tool')).toBe('tool');
    expect(defaultArtifactName('example.com/tool/v2')).toBe('tool');
    expect(defaultArtifactName('github.com/org/repo/cmd/serve')).toBe('serve');
    expect(() => defaultArtifactName('example.com/$(reboot)')).toThrow(/--name/);
  });
});
