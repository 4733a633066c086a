/**
 * Synthetic 64-bit little-endian arm64 Mach-O images for the parser tests: exactly the load commands a
 * test names, and data after them that the commands point into.
 */

/** A header and `commands`, then `data`; a command built by a function gets the offset where `data` starts. */
export function machoImage(
  commands: (Buffer | ((dataAt: number) => Buffer))[],
  data = Buffer.alloc(0),
): Buffer {
  // Every command's size is known before the data offset: build the functions once with 0 to measure.
  const sizes = commands.map((command) => (typeof command === 'function' ? command(0) : command).length);
  const dataAt = 32 + sizes.reduce((sum, size) => sum + size, 0);
  const built = commands.map((command) => (typeof command === 'function' ? command(dataAt) : command));
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(0x0100000c, 4); // arm64
  header.writeUInt32LE(2, 12); // MH_EXECUTE
  header.writeUInt32LE(built.length, 16);
  header.writeUInt32LE(dataAt - 32, 20);
  return Buffer.concat([header, ...built, data]);
}

export function dylibCommand(command: number, name: string): Buffer {
  const size = Math.ceil((24 + name.length + 1) / 8) * 8;
  const bytes = Buffer.alloc(size);
  bytes.writeUInt32LE(command, 0);
  bytes.writeUInt32LE(size, 4);
  bytes.writeUInt32LE(24, 8);
  bytes.write(name, 24, 'latin1');
  return bytes;
}

/** A load command of `size` bytes whose fields after cmd and cmdsize are the given 32-bit words. */
export function loadCommand(command: number, words: readonly number[], size = 8 + 4 * words.length): Buffer {
  const bytes = Buffer.alloc(size);
  bytes.writeUInt32LE(command, 0);
  bytes.writeUInt32LE(size, 4);
  words.forEach((word, index) => {
    bytes.writeUInt32LE(word >>> 0, 8 + 4 * index);
  });
  return bytes;
}
