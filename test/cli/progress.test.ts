import { describe, expect, it } from 'vitest';
import { createReporter, type ProgressOutput, progressMode } from '../../src/cli/progress.js';
import { type InstallEvent, redactingHandler } from '../../src/zig/events.js';

/**
 * What a user sees while Zig installs: a redrawn bar on a terminal, plain lines where output is captured
 * (CI, npm postinstall, pipes, TERM=dumb), nothing with --quiet.
 */

/** A stream that keeps what is written, as a terminal or a pipe of `columns` width. */
function output(isTTY: boolean, columns = 80): ProgressOutput & { text: string } {
  const stream = {
    text: '',
    isTTY,
    columns,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

/** A clock the test moves. */
function clock() {
  let time = 1_000_000;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

const URL = 'https://ziglang.org/download/0.15.2/zig-x86_64-linux-0.15.2.tar.xz';
const MiB = 1024 * 1024;

/** A download of 4 MiB in four steps of a second each, verified and installed. */
function install(emit: (event: InstallEvent) => void, time: ReturnType<typeof clock>, url = URL) {
  emit({ type: 'resolved', spec: '0.15', version: '0.15.2' });
  emit({
    type: 'download-start',
    source: 'ziglang.org',
    url,
    file: 'zig-x86_64-linux-0.15.2.tar.xz',
    size: 4 * MiB,
  });
  for (let step = 1; step <= 4; step++) {
    time.advance(1000);
    emit({ type: 'download-progress', source: 'ziglang.org', bytes: step * MiB, total: 4 * MiB });
  }
  emit({ type: 'verified', source: 'ziglang.org', checks: ['sha256', 'minisign'] });
  time.advance(500);
  emit({ type: 'installed', version: '0.15.2', dir: '/c/zig', source: 'ziglang.org', durationMs: 4500 });
}

describe('which output a run gets', () => {
  const tty = output(true);
  const pipe = output(false);
  it('a bar only on an interactive terminal', () => {
    expect(progressMode({}, tty, {})).toBe('bar');
    expect(progressMode({}, pipe, {})).toBe('lines');
  });
  it('lines in CI, on a dumb terminal and under npm (postinstall), even on a TTY', () => {
    expect(progressMode({}, tty, { CI: 'true' })).toBe('lines');
    expect(progressMode({}, tty, { TERM: 'dumb' })).toBe('lines');
    expect(progressMode({}, tty, { npm_lifecycle_event: 'postinstall' })).toBe('lines');
    // An empty CI is no CI.
    expect(progressMode({}, tty, { CI: '' })).toBe('bar');
  });
  it('nothing with --quiet, terminal or not', () => {
    expect(progressMode({ quiet: true }, tty, {})).toBe('quiet');
    expect(progressMode({ quiet: true }, pipe, { CI: 'true' })).toBe('quiet');
  });
});

describe('a download, verify and install, as rendered', () => {
  it('lines: one line a step, no carriage return or escape, every line whole', () => {
    const stream = output(false);
    const time = clock();
    install(createReporter('lines', stream, time.now).handle, time);
    expect(stream.text).toBe(
      [
        `xcc: downloading zig-x86_64-linux-0.15.2.tar.xz (4.0 MiB) from ${URL}`,
        'xcc: downloaded zig-x86_64-linux-0.15.2.tar.xz in 4.0s',
        'xcc: verified sha256, minisign',
        'xcc: installed Zig 0.15.2 from ziglang.org in 4.5s',
        '',
      ].join('\n'),
    );
  });

  it('bar: redrawn in place with percentage and speed, cleared before the next line', () => {
    const stream = output(true, 120);
    const time = clock();
    install(createReporter('bar', stream, time.now).handle, time);
    const frames = stream.text.split('\r\x1b[2K');
    expect(frames[0]).toBe('');
    expect(frames.slice(1, 5)).toEqual([
      `zig-x86_64-linux-0.15.2.tar.xz  25% ${'█'.repeat(6)}${'░'.repeat(18)} 1.0 MiB/4.0 MiB 1.0 MiB/s from ziglang.org`,
      `zig-x86_64-linux-0.15.2.tar.xz  50% ${'█'.repeat(12)}${'░'.repeat(12)} 2.0 MiB/4.0 MiB 1.0 MiB/s from ziglang.org`,
      `zig-x86_64-linux-0.15.2.tar.xz  75% ${'█'.repeat(18)}${'░'.repeat(6)} 3.0 MiB/4.0 MiB 1.0 MiB/s from ziglang.org`,
      `zig-x86_64-linux-0.15.2.tar.xz 100% ${'█'.repeat(24)} 4.0 MiB/4.0 MiB 1.0 MiB/s from ziglang.org`,
    ]);
    // The bar is wiped before a line is printed, and the lines are what the lines mode prints after a download.
    expect(frames.slice(5).join('')).toBe(
      'xcc: verified sha256, minisign\nxcc: installed Zig 0.15.2 from ziglang.org in 4.5s\n',
    );
  });

  it('bar: at most one redraw per 100 ms, but always the last one; cut to the terminal width', () => {
    const stream = output(true, 30);
    const time = clock();
    const reporter = createReporter('bar', stream, time.now);
    reporter.handle({ type: 'download-start', source: 's', url: URL, file: 'f', size: 100 });
    for (let bytes = 1; bytes <= 100; bytes++) {
      time.advance(10);
      reporter.handle({ type: 'download-progress', source: 's', bytes, total: 100 });
    }
    const frames = stream.text.split('\r\x1b[2K').slice(1);
    expect(frames.length).toBe(11);
    expect(frames.at(-1)).toMatch(/^f 100% █+/);
    expect(frames.every((frame) => frame.length <= 29)).toBe(true);
    reporter.close();
    expect(stream.text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('an unknown size: bytes and speed, no percentage', () => {
    const stream = output(true);
    const time = clock();
    const reporter = createReporter('bar', stream, time.now);
    reporter.handle({ type: 'download-start', source: 'mirror', url: URL, file: 'f.tar.xz' });
    time.advance(2000);
    reporter.handle({ type: 'download-progress', source: 'mirror', bytes: 2 * MiB });
    expect(stream.text).toBe('\r\x1b[2Kf.tar.xz 2.0 MiB 1.0 MiB/s from mirror');
  });

  it('retries, failed sources, waits and warnings are lines in every mode but quiet', () => {
    const events: InstallEvent[] = [
      { type: 'resolved', spec: 'master', version: '0.16.0-dev.1', warning: 'dev builds disappear' },
      { type: 'waiting', version: '0.15.2', pid: 42, hostname: 'ci-1' },
      { type: 'retry', source: 'mirror', url: URL, attempt: 1, delayMs: 1500, reason: 'HTTP 503' },
      {
        type: 'source-failed',
        source: 'mirror',
        kind: 'mirror',
        reason: 'sha256 mismatch',
        unreachable: false,
      },
      { type: 'warning', message: 'unpinned wheel' },
      { type: 'cached', version: '0.15.2', dir: '/c' },
    ];
    const expected = [
      'xcc: warning: dev builds disappear',
      'xcc: waiting for another xcc process (pid 42 on ci-1) installing Zig 0.15.2',
      'xcc: mirror: HTTP 503; retrying in 1.5s (attempt 2)',
      'xcc: mirror failed: sha256 mismatch',
      'xcc: warning: unpinned wheel',
      '',
    ].join('\n');
    for (const mode of ['lines', 'bar'] as const) {
      const stream = output(mode === 'bar');
      const reporter = createReporter(mode, stream);
      for (const event of events) reporter.handle(event);
      expect(stream.text).toBe(expected);
    }
    const quiet = output(false);
    const time = clock();
    install(createReporter('quiet', quiet, time.now).handle, time);
    for (const event of events) createReporter('quiet', quiet).handle(event);
    expect(quiet.text).toBe('');
  });
});

describe('sources that could not be reached', () => {
  const unreachable = (source: string, kind: 'mirror' | 'ziglang.org' | 'pypi'): InstallEvent => ({
    type: 'source-failed',
    source,
    kind,
    reason: `cannot fetch https://${source}/zig.minisig: getaddrinfo ENOTFOUND ${source}`,
    unreachable: true,
  });
  const offline = [
    ...['a.example', 'b.example', 'c.example', 'd.example', 'e.example'].map((host) =>
      unreachable(host, 'mirror'),
    ),
    unreachable('ziglang.org', 'ziglang.org'),
  ];
  const wheel = 'ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.whl';
  const fromPypi: InstallEvent[] = [
    { type: 'download-start', source: 'pypi (files.pythonhosted.org)', url: URL, file: wheel, size: MiB },
    { type: 'download-progress', source: 'pypi (files.pythonhosted.org)', bytes: MiB, total: MiB },
    { type: 'verified', source: 'pypi (files.pythonhosted.org)', checks: ['sha256'] },
  ];

  it('are one line, then one for the source used instead, on a terminal and off it', () => {
    for (const mode of ['lines', 'bar'] as const) {
      const stream = output(mode === 'bar');
      const reporter = createReporter(mode, stream);
      for (const event of [...offline, ...fromPypi]) reporter.handle(event);
      const lines = stream.text.split('\n');
      expect(lines.slice(0, 2)).toEqual([
        'xcc: could not reach 5 Zig mirrors or ziglang.org (--debug shows why)',
        'xcc: using pypi (files.pythonhosted.org) instead',
      ]);
      expect(stream.text).not.toContain('ENOTFOUND');
      expect(stream.text).toContain('xcc: verified sha256\n');
    }
  });

  it('with --debug, each one with its error as it comes, then the same two lines', () => {
    const stream = output(false);
    const reporter = createReporter('lines', stream, Date.now, { debug: true });
    for (const event of [...offline, ...fromPypi]) reporter.handle(event);
    const lines = stream.text.split('\n');
    expect(lines.slice(0, 6)).toEqual(
      offline.map(
        (event) =>
          `xcc: ${(event as { source: string }).source} failed: ${(event as { reason: string }).reason}`,
      ),
    );
    expect(lines.slice(6, 8)).toEqual([
      'xcc: could not reach 5 Zig mirrors or ziglang.org',
      'xcc: using pypi (files.pythonhosted.org) instead',
    ]);
  });

  it('names a lone mirror; keeps a source that answered wrongly, or broke mid-transfer, on its own line', () => {
    const stream = output(false);
    const reporter = createReporter('lines', stream);
    reporter.handle(unreachable('mirror.example', 'mirror'));
    reporter.handle({
      type: 'source-failed',
      source: 'ziglang.org',
      kind: 'ziglang.org',
      reason: 'HTTP 404',
      unreachable: false,
    });
    reporter.handle({ type: 'download-start', source: 'pypi (p.example)', url: URL, file: wheel });
    reporter.handle({
      type: 'source-failed',
      source: 'pypi',
      kind: 'pypi',
      reason: 'the connection broke (ECONNRESET) after 10 bytes, and the server cannot resume the transfer',
      unreachable: true,
    });
    expect(stream.text.split('\n')).toEqual([
      'xcc: could not reach mirror.example (--debug shows why)',
      'xcc: ziglang.org failed: HTTP 404',
      'xcc: using pypi (p.example) instead',
      `xcc: downloading ${wheel} from ${URL}`,
      'xcc: pypi failed: the connection broke (ECONNRESET) after 10 bytes, and the server cannot resume the transfer',
      '',
    ]);
  });

  it('when no source delivers, leaves them to the final error, which lists every one', () => {
    const stream = output(false);
    const reporter = createReporter('lines', stream);
    for (const event of [...offline, unreachable('pypi', 'pypi')]) reporter.handle(event);
    reporter.close();
    expect(stream.text).toBe('');
  });
});

describe('credentials in URLs never reach the output', () => {
  it('a mirror URL with user:password and a signed query prints with both hidden', () => {
    const stream = output(false);
    const time = clock();
    const secret = 'https://alice:s3cr3t@mirror.example/zig.tar.xz?X-Amz-Signature=abcdef&source=xcc';
    const handle = redactingHandler(createReporter('lines', stream, time.now).handle);
    install(handle, time, secret);
    handle({
      type: 'retry',
      source: 'mirror',
      url: secret,
      attempt: 0,
      delayMs: 10,
      reason: `GET ${secret}: HTTP 500`,
    });
    expect(stream.text).not.toMatch(/alice|s3cr3t|abcdef/);
    expect(stream.text).toContain(
      'from https://****@mirror.example/zig.tar.xz?X-Amz-Signature=****&source=xcc\n',
    );
    expect(stream.text).toContain(
      'xcc: mirror: GET https://****@mirror.example/zig.tar.xz?X-Amz-Signature=****&source=xcc: HTTP 500;',
    );
  });
});
