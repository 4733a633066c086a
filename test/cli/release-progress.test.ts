import { describe, expect, it } from 'vitest';
import { createReporter } from '../../src/cli/progress.js';
import { releaseProgress, releaseSummary, targetLine } from '../../src/cli/release-progress.js';
import type { ReleaseResult, TargetResult } from '../../src/release/build.js';

const built: TargetResult = {
  ok: true,
  target: 'linux-arm64-musl',
  port: 'linux/arm64',
  file: 'app-linux-arm64',
  durationMs: 41_000,
  artifact: {
    target: 'linux-arm64-musl',
    port: 'linux/arm64',
    file: 'app-linux-arm64',
    sha256: 'a'.repeat(64),
    size: 2_000_000,
    go: 'go1.26.8',
    zig: '0.15.2',
    linkage: 'static',
    libc: 'musl',
    glibc: null,
  },
};
const failed: TargetResult = {
  ok: false,
  target: 'linux-s390x-musl',
  port: 'linux/s390x',
  file: 'app-linux-s390x',
  stage: 'build',
  reason: 'go build exited 1: ./main.go:5:2: error: "no"',
  log: '# example.com/app\n./main.go:5:2: error: "no"\n1 error generated.\n',
  durationMs: 3_000,
};

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, isTTY, columns: 80, write: (text: string) => written.push(text) };
}

describe("xcc build's progress", () => {
  it('is one line per target in CI, when the target ends', () => {
    const out = stream(false);
    const progress = releaseProgress('lines', out, createReporter('lines', out));
    progress.handle({ type: 'target-start', target: 'linux-arm64-musl', file: 'app-linux-arm64' });
    progress.handle({ type: 'target-start', target: 'linux-s390x-musl', file: 'app-linux-s390x' });
    progress.handle({ type: 'target-done', result: built });
    progress.handle({ type: 'target-done', result: failed });
    progress.close();
    expect(out.written.join('')).toBe(
      'xcc: built linux-arm64-musl: app-linux-arm64 (1.9 MiB) in 41.0s\n' +
        'xcc: FAILED linux-s390x-musl (go build) after 3.0s: go build exited 1: ./main.go:5:2: error: "no"\n',
    );
  });

  it('keeps a status line of the running targets under the lines on a terminal, and clears it', () => {
    const out = stream(true);
    let now = 0;
    const progress = releaseProgress('bar', out, createReporter('bar', out), () => now);
    progress.handle({ type: 'target-start', target: 'linux-arm64-musl', file: 'app-linux-arm64' });
    now = 12_000;
    progress.handle({ type: 'target-start', target: 'windows-amd64-mingw', file: 'app-windows-amd64.exe' });
    expect(out.written.at(-1)).toBe(
      '\r\x1b[2Kbuilding 0/2 done; linux-arm64-musl 12.0s, windows-amd64-mingw 0ms',
    );
    progress.handle({ type: 'target-done', result: built });
    expect(out.written.slice(-3)).toEqual([
      '\r\x1b[2K',
      'xcc: built linux-arm64-musl: app-linux-arm64 (1.9 MiB) in 41.0s\n',
      '\r\x1b[2Kbuilding 1/2 done; windows-amd64-mingw 0ms',
    ]);
    progress.close();
    expect(out.written.at(-1)).toBe('\r\x1b[2K');
  });

  it('ends with the output of failed go builds and a line naming them', () => {
    const result = {
      plan: { outDir: '/w/dist', shard: '1/2', allTargets: 4 },
      results: [built, failed],
    } as unknown as ReleaseResult;
    expect(releaseSummary(result, '/w')).toBe(
      'xcc: go build output for linux-s390x-musl:\n' +
        '  # example.com/app\n  ./main.go:5:2: error: "no"\n  1 error generated.\n' +
        'xcc: built 1 of 2 targets (shard 1/2 of 4 targets) into dist/, with checksums.txt and manifest.json\n' +
        'xcc: failed: linux-s390x-musl\n',
    );
    expect(targetLine({ ...failed, stage: 'check', reason: 'x: expected static' })).toMatch(
      /\(the artifact check\)/,
    );
  });
});
