import { describe, expect, it } from 'vitest';
import { readMacho } from '../../src/inspect/macho.js';
import { dylibCommand, machoImage } from '../support/macho-images.js';

/**
 * Load commands with the LC_REQ_DYLD bit (0x80000000) set: LC_MAIN, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB,
 * LC_LOAD_UPWARD_DYLIB. A synthetic 64-bit little-endian image, so each command is there exactly once.
 */
const image = (commands: Buffer[]) => machoImage(commands);
const dylib = dylibCommand;

function main(): Buffer {
  const bytes = Buffer.alloc(24);
  bytes.writeUInt32LE(0x80000028, 0);
  bytes.writeUInt32LE(24, 4);
  return bytes;
}

describe('Mach-O load commands with LC_REQ_DYLD', () => {
  it('lists weak, re-exported and upward dylibs beside plain ones, and sees LC_MAIN', () => {
    const info = readMacho(
      image([
        dylib(0xc, '/usr/lib/libSystem.B.dylib'),
        dylib(0x80000018, '/usr/lib/libweak.dylib'),
        dylib(0x8000001f, '/usr/lib/libreexport.dylib'),
        dylib(0x80000023, '/usr/lib/libupward.dylib'),
        main(),
      ]),
    );
    expect(info.dylibs).toEqual([
      '/usr/lib/libSystem.B.dylib',
      '/usr/lib/libweak.dylib',
      '/usr/lib/libreexport.dylib',
      '/usr/lib/libupward.dylib',
    ]);
    expect(info.hasMain).toBe(true);
    expect(info.codeSignature).toBeNull();
  });

  it('has no LC_MAIN when the image has none', () => {
    expect(readMacho(image([dylib(0xc, '/usr/lib/libSystem.B.dylib')])).hasMain).toBe(false);
  });
});
