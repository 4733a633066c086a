/**
 * Builds toolchains/liblzma.wasm, the xz decoder xcc uses where no `xz` program is on PATH: the decoder
 * half of liblzma (xz-utils), compiled to WebAssembly with `zig cc`, and records how in
 * toolchains/liblzma.json.
 *
 *   npx tsx scripts/build-liblzma-wasm.ts --zig /path/to/zig [--source xz-utils_5.8.1.orig.tar.xz]
 *
 * Without --source, the upstream release tarball is fetched from Debian's archive (the same bytes as
 * upstream's xz-5.8.1.tar.xz) and checked against the sha256 pinned below. The output depends only on the
 * source and the zig version, so a rebuild gives the same bytes (test/zig/xz-wasm.test.ts checks that).
 *
 * Why liblzma and not a smaller decoder: XZ Embedded compiled to WebAssembly (the xz-decompress package)
 * took 1.7x the CPU time of `xz -d` on Zig's tarball; liblzma's decoder, about 1.25x (`npm run bench`).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatJson } from './format-json.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const liblzmaWasmPath = path.join(projectRoot, 'toolchains/liblzma.wasm');
export const liblzmaRecordPath = path.join(projectRoot, 'toolchains/liblzma.json');

export const XZ_SOURCE = {
  version: '5.8.1',
  url: 'https://deb.debian.org/debian/pool/main/x/xz-utils/xz-utils_5.8.1.orig.tar.xz',
  sha256: '0b54f79df85912504de0b14aec7971e3f964491af1812d83447005807513cd9e',
} as const;

const LIBLZMA = 'src/liblzma';
/** The .xz decoder: stream and block parsing, every filter xz can write, and every integrity check. */
const SOURCES = [
  'common/common.c',
  'common/block_util.c',
  'common/filter_common.c',
  'common/index.c',
  'common/stream_flags_common.c',
  'common/vli_size.c',
  'common/block_decoder.c',
  'common/block_header_decoder.c',
  'common/filter_decoder.c',
  'common/filter_flags_decoder.c',
  'common/index_hash.c',
  'common/stream_decoder.c',
  'common/stream_flags_decoder.c',
  'common/vli_decoder.c',
  'check/check.c',
  'check/crc32_fast.c',
  'check/crc64_fast.c',
  'check/sha256.c',
  'lzma/lzma_decoder.c',
  'lzma/lzma2_decoder.c',
  'lz/lz_decoder.c',
  'delta/delta_common.c',
  'delta/delta_decoder.c',
  'simple/simple_coder.c',
  'simple/simple_decoder.c',
  'simple/x86.c',
  'simple/arm.c',
  'simple/armthumb.c',
  'simple/arm64.c',
  'simple/powerpc.c',
  'simple/ia64.c',
  'simple/sparc.c',
  'simple/riscv.c',
].map((file) => `${LIBLZMA}/${file}`);

const INCLUDES = [
  'src/common',
  ...['api', 'common', 'check', 'lz', 'rangecoder', 'lzma', 'delta', 'simple'].map(
    (dir) => `${LIBLZMA}/${dir}`,
  ),
];

/** What xz-utils' configure would find on a C99 target, plus the decoders and checks listed above. */
const DEFINES = [
  'HAVE_STDBOOL_H',
  'HAVE__BOOL',
  'HAVE_STDINT_H',
  'HAVE_INTTYPES_H',
  'HAVE_VISIBILITY=0',
  'TUKLIB_SYMBOL_PREFIX=lzma_',
  'NDEBUG',
  'HAVE_CHECK_CRC32',
  'HAVE_CHECK_CRC64',
  'HAVE_CHECK_SHA256',
  'HAVE_DECODERS',
  ...['LZMA1', 'LZMA2', 'DELTA', 'X86', 'ARM', 'ARMTHUMB', 'ARM64', 'POWERPC', 'IA64', 'SPARC', 'RISCV'].map(
    (filter) => `HAVE_DECODER_${filter}`,
  ),
];

/** The module imports nothing (wasi-libc's malloc grows memory itself); these are all it exports. */
const EXPORTS = ['lzma_stream_decoder', 'lzma_code', 'lzma_end', 'malloc', 'free'];

export function compilerArgs(sourceDir: string, output: string): string[] {
  return [
    'cc',
    '-target',
    'wasm32-wasi',
    '-mexec-model=reactor',
    '-O2',
    ...DEFINES.map((define) => `-D${define}`),
    ...INCLUDES.map((dir) => `-I${path.join(sourceDir, dir)}`),
    ...SOURCES.map((file) => path.join(sourceDir, file)),
    ...EXPORTS.map((name) => `-Wl,--export=${name}`),
    '-Wl,--strip-all',
    '-o',
    output,
  ];
}

export interface LiblzmaRecord {
  xz: typeof XZ_SOURCE;
  zig: string;
  sha256: string;
  size: number;
}

/** Unpacks `sourceTarball` (checked against XZ_SOURCE) and compiles it with `zig` into `output`. */
export function buildLiblzmaWasm(zig: string, sourceTarball: string, output: string): LiblzmaRecord {
  const tarball = readFileSync(sourceTarball);
  const actual = sha256(tarball);
  if (actual !== XZ_SOURCE.sha256) {
    throw new Error(
      `${sourceTarball}: sha256 ${actual}, expected ${XZ_SOURCE.sha256} (xz ${XZ_SOURCE.version})`,
    );
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'xcc-liblzma-'));
  try {
    execFileSync('tar', ['-xJf', sourceTarball, '-C', scratch]);
    const sourceDir = path.join(scratch, `xz-${XZ_SOURCE.version}`);
    // Zig's cache stays inside the scratch directory: a warm cache must not stand in for a build.
    const env = {
      ...process.env,
      ZIG_GLOBAL_CACHE_DIR: path.join(scratch, 'zig-cache'),
      ZIG_LOCAL_CACHE_DIR: path.join(scratch, 'zig-cache'),
    };
    execFileSync(zig, compilerArgs(sourceDir, output), { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const version = execFileSync(zig, ['version'], { encoding: 'utf8' }).trim();
    const wasm = readFileSync(output);
    return { xz: XZ_SOURCE, zig: version, sha256: sha256(wasm), size: wasm.length };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function fetchSource(): Promise<string> {
  const response = await fetch(XZ_SOURCE.url);
  if (!response.ok) throw new Error(`${XZ_SOURCE.url}: HTTP ${response.status}`);
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'xcc-xz-source-')), path.basename(XZ_SOURCE.url));
  writeFileSync(file, Buffer.from(await response.arrayBuffer()));
  return file;
}

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const zig = option('--zig');
  if (zig === undefined)
    throw new Error('usage: build-liblzma-wasm.ts --zig /path/to/zig [--source tarball]');
  const source = option('--source') ?? (await fetchSource());
  const record = buildLiblzmaWasm(zig, source, liblzmaWasmPath);
  writeFileSync(liblzmaRecordPath, formatJson(record));
  console.log(
    `${path.relative(projectRoot, liblzmaWasmPath)}: ${record.size} bytes, sha256 ${record.sha256}`,
  );
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
