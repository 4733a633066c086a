import { describe, expect, it } from 'vitest';
import { UsageError, XccError } from '../../src/errors.js';
import { redactUrls } from '../../src/redact.js';

describe('redactUrls', () => {
  it.each([
    ['https://user:s3cret@mirror.example/zig', 'https://****@mirror.example/zig'],
    ['https://ghp_T0KEN@mirror.example/zig', 'https://****@mirror.example/zig'],
    ['https://__token__:pypi-AgE@index.example/simple/', 'https://****@index.example/simple/'],
    // A raw `@` in the password: the URL parser splits at the last one, and so does the redaction.
    ['https://user:p@ss@mirror.example/zig', 'https://****@mirror.example/zig'],
    ['http://user:pw@127.0.0.1:8080/', 'http://****@127.0.0.1:8080/'],
    ['https://mirror.example/zig/f.tar.xz?source=xcc', 'https://mirror.example/zig/f.tar.xz?source=xcc'],
    ['https://m.example/f?token=abc&source=xcc', 'https://m.example/f?token=****&source=xcc'],
    ['https://m.example/f?source=xcc&access_token=abc', 'https://m.example/f?source=xcc&access_token=****'],
    [
      'https://b.s3.example/f?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=9f&X-Amz-Expires=60',
      'https://b.s3.example/f?X-Amz-Credential=****&X-Amz-Signature=****&X-Amz-Expires=60',
    ],
    ['https://acct.blob.example/c/f?sv=2024&sig=abc%3D', 'https://acct.blob.example/c/f?sv=2024&sig=****'],
    ['https://m.example/f?api_key=k#frag', 'https://m.example/f?api_key=****#frag'],
    // Text around URLs is kept; several URLs in one message are each redacted.
    [
      'cannot fetch https://u:p@a.example/x: redirect loop (https://a.example/y?sig=1 -> https://u:p@a.example/x)',
      'cannot fetch https://****@a.example/x: redirect loop (https://a.example/y?sig=**** -> https://****@a.example/x)',
    ],
    // Not URLs: an e-mail address, a placeholder in a hint.
    ['write to maintainer@example.org', 'write to maintainer@example.org'],
    ['HTTPS_PROXY=http://<user>:<password>@proxy:port', 'HTTPS_PROXY=http://<user>:<password>@proxy:port'],
  ])('%s -> %s', (text, expected) => {
    expect(redactUrls(text)).toBe(expected);
  });
});

describe('XccError', () => {
  // Library callers log error messages as they are: a message built from a credentialed index URL
  // (pypi-index.ts, wheel.ts) must not carry the credentials out.
  it('redacts the URLs in its message, and keeps its exit code', () => {
    const error = new UsageError(
      'https://__token__:pypi-AgE@index.example/simple/ziglang/: unexpected answer 404',
    );
    expect(error.message).toBe('https://****@index.example/simple/ziglang/: unexpected answer 404');
    expect(error.exitCode).toBe(2);
    expect(new XccError('see https://m.example/f?token=abc').message).toBe(
      'see https://m.example/f?token=****',
    );
  });
});
