import { cac } from 'cac';
import { describe, expect, it } from 'vitest';
import {
  renderReproducibility,
  renderReproducibleEnv,
  withReproducibilityOptions,
} from '../../src/cli/reproducibility.js';
import type { ReproducibilityReport } from '../../src/release/verify.js';

const SUM = 'ab'.repeat(32);

function report(overrides: Partial<ReproducibilityReport> = {}): ReproducibilityReport {
  return {
    reproducible: true,
    artifacts: [
      {
        target: 'linux/arm64',
        first: 'dist/app-linux-arm64',
        second: '/tmp/x/second/app-linux-arm64',
        sha256: [SUM, SUM],
        difference: null,
      },
      {
        target: 'windows/amd64',
        first: 'dist/app.exe',
        second: '/tmp/x/second/app.exe',
        sha256: [SUM, SUM],
        difference: null,
      },
    ],
    extra: [],
    copyDir: '/tmp/x/copy-of-app',
    ...overrides,
  };
}

describe('renderReproducibility', () => {
  it('lists each artifact with its hash, then the verdict', () => {
    expect(renderReproducibility(report())).toBe(
      [
        `linux/arm64    identical  ${SUM.slice(0, 12)}  dist/app-linux-arm64`,
        `windows/amd64  identical  ${SUM.slice(0, 12)}  dist/app.exe`,
        'reproducible: 2 of 2 artifacts identical from a copy in another directory with a cold Go cache',
        '',
      ].join('\n'),
    );
  });

  it('names the first differing section, a missing artifact and an extra one', () => {
    const base = report();
    const text = renderReproducibility({
      ...base,
      reproducible: false,
      artifacts: [
        {
          ...base.artifacts[0]!,
          sha256: [SUM, 'cd'.repeat(32)],
          difference: {
            where: '.rodata',
            offset: 0x21a2,
            sectionOffset: 0x1a2,
            sizes: [64, 64],
            others: ['.text'],
          },
        },
        {
          ...base.artifacts[1]!,
          second: null,
          sha256: [SUM, null],
          difference: { where: 'missing', offset: 0, sectionOffset: null, sizes: [-1, -1], others: [] },
        },
      ],
      extra: ['darwin/arm64'],
    });
    expect(text.split('\n')).toEqual([
      'linux/arm64    DIFFERS    section .rodata differs at 0x1a2 (file offset 0x21a2); also .text',
      'windows/amd64  MISSING    the second build did not make it',
      'darwin/arm64   EXTRA      only the second build made it',
      'not reproducible: 3 of 3 artifacts differ',
      '',
    ]);
  });
});

describe('the options and the env line', () => {
  it('adds --reproducible and --verify-reproducible to a command', () => {
    const cli = cac('xcc');
    const command = withReproducibilityOptions(cli.command('build [dir]', 'Build'));
    expect(command.options.map((option) => option.rawName)).toEqual([
      '--reproducible',
      '--verify-reproducible',
    ]);
    cli.parse(['node', 'xcc', 'build', '--verify-reproducible'], { run: false });
    expect(cli.options.verifyReproducible).toBe(true);
  });

  it('says where the timestamp came from', () => {
    expect(renderReproducibleEnv({ env: {}, sourceDateEpoch: 86400, epochFrom: 'git' })).toBe(
      'reproducible: SOURCE_DATE_EPOCH=86400 (the last commit), 1970-01-02T00:00:00.000Z',
    );
  });
});
