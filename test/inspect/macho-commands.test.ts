import { describe, expect, it } from 'vitest';
import { readMacho } from '../../src/inspect/macho.js';

/**
 * Load commands with the LC_REQ_DYLD bit (0x80000000) set: LC_MAIN, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB,
 * LC_LOAD_UPWARD_DYLIB. A synthetic 64-bit little-endian image, so each command is there exactly once.
 */
function image(commands: Buffer[]): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(0x0100000c, 4); // arm64
  header.writeUInt32LE(2, 12); // MH_EXECUTE
  header.writeUInt32LE(commands.length, 16);
  header.writeUInt32LE(
    commands.reduce((sum, command) => sum + command.length, 0),
    20,
  );
  return Buffer.concat([header, ...commands]);
}

function dylib(command: number, name: string): Buffer {
  const size = Math.ceil((24 + name.length + 1) / 8) * 8;
  const bytes = Buffer.alloc(size);
  bytes.writeUInt32LE(command, 0);
  bytes.writeUInt32LE(size, 4);
  bytes.writeUInt32LE(24, 8);
  bytes.write(name, 24, 'latin1');
  return bytes;
}

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
