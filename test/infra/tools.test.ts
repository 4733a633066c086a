import { afterEach, describe, expect, it, vi } from 'vitest';
import { installHint, needCommand, requireOrSkip } from '../support/tools.js';

/** The one skip helper: a skip with its reason on a developer machine, a failure under XCC_E2E=require. */

const context = {
  skip: (note: string): never => {
    throw new Error(`skipped: ${note}`);
  },
};
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('requireOrSkip', () => {
  it('fails under XCC_E2E=require, naming what is missing and what to install', () => {
    vi.stubEnv('XCC_E2E', 'require');
    expect(() => requireOrSkip(context, 'xz is not installed', 'apt-get install xz-utils')).toThrow(
      /^xz is not installed: apt-get install xz-utils \(required because XCC_E2E=require\)$/,
    );
  });

  it.each([undefined, '1', 'skip'])('skips with the same words when XCC_E2E=%s', (e2e) => {
    vi.stubEnv('XCC_E2E', e2e);
    expect(() => requireOrSkip(context, 'xz is not installed', 'apt-get install xz-utils')).toThrow(
      /^skipped: xz is not installed: apt-get install xz-utils; XCC_E2E=require makes this a failure$/,
    );
  });
});

describe('needCommand', () => {
  it('passes for a program on PATH', () => {
    vi.stubEnv('XCC_E2E', 'require');
    expect(() => needCommand(context, 'bash')).not.toThrow();
  });

  it('fails for a program that is not on PATH, with its Debian package', () => {
    vi.stubEnv('XCC_E2E', 'require');
    vi.stubEnv('PATH', '/nonexistent');
    expect(() => needCommand(context, 'xz')).toThrow(
      /^xz is not installed: apt-get install xz-utils \(required because XCC_E2E=require\)$/,
    );
  });

  it('knows how to install every program it is asked for', () => {
    expect(() => installHint('frobnicate')).toThrow(/say how to install frobnicate/);
  });
});
