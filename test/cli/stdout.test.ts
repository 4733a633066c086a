import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliBin } from '../support/paths.js';

/**
 * `xcc env` writes its result with write(2) on fd 1 instead of through process.stdout (src/cli/stdout.ts:
 * the stream costs the shell-startup path more than the rest of it). These are the stdouts where a plain
 * write is not enough, made for real with pipes from python3: one that will not block, and one whose
 * reader is gone. `xcc env --reset` needs no Zig.
 */
const RESET = [cliBin, 'env', '--reset', '--format', 'sh'];

/** Runs `node bin/xcc.cjs ...` with stdout on a pipe that python prepares; prints what happened as JSON. */
function withPipe(setup: 'full-nonblocking' | 'reader-gone'): {
  status: number;
  stderr: string;
  out: string;
  blocked?: boolean;
} {
  const script = `
import fcntl, json, os, subprocess, sys
r, w = os.pipe()
filled = 0
if sys.argv[1] == 'full-nonblocking':
    # O_NONBLOCK is on the open file description, which the child shares: its write(2) gets EAGAIN.
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    try:
        while True:
            filled += os.write(w, b'.' * 4096)
    except BlockingIOError:
        pass
else:
    os.close(r)
child = subprocess.Popen(sys.argv[2:], stdout=w, stderr=subprocess.PIPE)
os.close(w)
result = {}
if sys.argv[1] == 'full-nonblocking':
    # A child that waits for the reader is still there after two seconds (it starts in a fraction of one).
    try:
        child.wait(timeout=2)
        result['blocked'] = False
    except subprocess.TimeoutExpired:
        result['blocked'] = True
    data = b''
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    result['out'] = data[filled:].decode()
else:
    result['out'] = ''
result['status'] = child.wait()
result['stderr'] = child.stderr.read().decode()
print(json.dumps(result))
`;
  const ran = spawnSync('python3', ['-c', script, setup, process.execPath, ...RESET], { encoding: 'utf8' });
  expect(ran.status, ran.stderr).toBe(0);
  return JSON.parse(ran.stdout);
}

describe('xcc writes results to stdout with write(2)', () => {
  const expected = spawnSync(process.execPath, RESET, { encoding: 'utf8' });

  it('prints the same text as to an ordinary pipe', () => {
    expect(expected.status).toBe(0);
    expect(expected.stdout).toMatch(/^unset CGO_ENABLED GOOS GOARCH .* CC CXX AR /);
  });

  it('waits for a full non-blocking pipe (EAGAIN) and then writes everything', () => {
    const result = withPipe('full-nonblocking');
    expect(result).toEqual({ blocked: true, status: 0, stderr: '', out: expected.stdout });
  });

  it('stops quietly when the reader has gone (EPIPE), as `xcc env ... | head -0` asks', () => {
    expect(withPipe('reader-gone')).toEqual({ status: 0, stderr: '', out: '' });
  });
});
