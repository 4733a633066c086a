import { describe, expect, it } from 'vitest';
import { defaultZigVersion, parseZigPins } from '../../src/zig/pinned.js';

describe('toolchains/zig.json', () => {
  it('pins zig 0.15.2 as the default', () => {
    expect(defaultZigVersion()).toBe('0.15.2');
  });

  it('ignores fields it does not know, so that other parts of xcc can add theirs', () => {
    expect(parseZigPins({ defaultVersion: '0.16.0', releases: { '0.16.0': {} }, note: 'x' })).toEqual({
      defaultVersion: '0.16.0',
    });
  });

  it.each([[{}], [{ defaultVersion: 15 }], [null]])('rejects %j', (file) => {
    expect(() => parseZigPins(file)).toThrow('toolchains/zig.json has no string "defaultVersion"');
  });
});
