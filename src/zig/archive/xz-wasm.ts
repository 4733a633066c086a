import { readFile } from 'node:fs/promises';
import { packageFile } from '../../package-files.js';

/**
 * The xz decoder of liblzma (xz-utils 5.8.1) compiled to WebAssembly: toolchains/liblzma.wasm, built
 * by scripts/build-liblzma-wasm.ts, which says why this one. It imports nothing and exports liblzma's
 * `lzma_stream_decoder`, `lzma_code` and `lzma_end` with `malloc` and `free`; this module drives them
 * the way `xz --decompress --single-stream` does.
 */
interface Liblzma {
  memory: { buffer: ArrayBuffer };
  _initialize(): void;
  malloc(size: number): number;
  free(pointer: number): void;
  lzma_stream_decoder(stream: number, memlimit: bigint, flags: number): number;
  lzma_code(stream: number, action: number): number;
  lzma_end(stream: number): void;
}

// TypeScript declares WebAssembly in lib.dom, which a Node project does not load: the two calls used here.
interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object): Promise<{ exports: object }>;
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

const LIBLZMA_WASM = packageFile('toolchains/liblzma.wasm');
let compiled: Promise<object> | undefined;

/** `xz -9` needs 65 MiB to decode; liblzma refuses a stream that needs more than this (xz's own default is none). */
export const XZ_MEMORY_LIMIT = 512 * 1024 ** 2;

// lzma_ret and lzma_action values from liblzma's <lzma/base.h>.
const LZMA_OK = 0;
const LZMA_STREAM_END = 1;
const LZMA_RUN = 0;
const LZMA_FINISH = 3;
const PROBLEMS: Record<number, string> = {
  5: 'out of memory',
  6: `needs more than ${XZ_MEMORY_LIMIT / 1024 ** 2} MiB of memory to decode`,
  7: 'not in the .xz format',
  8: 'uses options this decoder does not support',
  9: 'compressed data is corrupt',
  10: 'unexpected end of input',
};

/**
 * `lzma_stream` on wasm32: next_in, avail_in, total_in (u64), next_out, avail_out, ... 88 bytes in all;
 * LZMA_STREAM_INIT is all zeros.
 */
const STREAM_SIZE = 128;
const NEXT_IN = 0;
const AVAIL_IN = 4;
const NEXT_OUT = 16;
const AVAIL_OUT = 20;

const INPUT_SIZE = 256 * 1024;
const OUTPUT_SIZE = 1024 * 1024;

/**
 * Decodes one .xz stream; bytes after its end are read and ignored (as `xz --single-stream` does).
 * Throws an Error saying what is wrong with the data. Each call gets its own instance: WebAssembly
 * memory never shrinks, so the dictionary of one decode goes away with the instance.
 */
export async function* decodeXzWithWasm(compressed: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const decoder = new StreamDecoder(await instantiate());
  try {
    for await (const chunk of compressed) {
      for (let start = 0; start < chunk.length && !decoder.ended; start += INPUT_SIZE) {
        yield* decoder.run(chunk.subarray(start, start + INPUT_SIZE));
      }
    }
    if (!decoder.ended) yield* decoder.finish();
  } finally {
    decoder.end();
  }
}

async function instantiate(): Promise<Liblzma> {
  compiled ??= readFile(LIBLZMA_WASM).then((bytes) => wasm.compile(bytes));
  const instance = await wasm.instantiate(await compiled);
  const liblzma = instance.exports as unknown as Liblzma;
  liblzma._initialize();
  return liblzma;
}

class StreamDecoder {
  ended = false;
  readonly #lib: Liblzma;
  readonly #stream: number;
  readonly #input: number;
  readonly #output: number;

  constructor(lib: Liblzma) {
    this.#lib = lib;
    this.#stream = this.#allocate(STREAM_SIZE);
    this.#input = this.#allocate(INPUT_SIZE);
    this.#output = this.#allocate(OUTPUT_SIZE);
    new Uint8Array(lib.memory.buffer).fill(0, this.#stream, this.#stream + STREAM_SIZE);
    this.#check(lib.lzma_stream_decoder(this.#stream, BigInt(XZ_MEMORY_LIMIT), 0));
  }

  /** Decodes `input` (at most INPUT_SIZE bytes) for as long as it yields output. */
  *run(input: Uint8Array): Generator<Buffer> {
    new Uint8Array(this.#lib.memory.buffer).set(input, this.#input);
    this.#setWord(NEXT_IN, this.#input);
    this.#setWord(AVAIL_IN, input.length);
    do {
      yield* this.#code(LZMA_RUN);
    } while (!this.ended && (this.#word(AVAIL_IN) > 0 || this.#word(AVAIL_OUT) === 0));
  }

  /**
   * The input has ended: flushes what is left. A stream that stopped short fails here: liblzma answers
   * LZMA_BUF_ERROR to the second call in a row that can make no progress.
   */
  *finish(): Generator<Buffer> {
    this.#setWord(AVAIL_IN, 0);
    while (!this.ended) yield* this.#code(LZMA_FINISH);
  }

  end(): void {
    this.#lib.lzma_end(this.#stream);
  }

  *#code(action: number): Generator<Buffer> {
    this.#setWord(NEXT_OUT, this.#output);
    this.#setWord(AVAIL_OUT, OUTPUT_SIZE);
    const status = this.#lib.lzma_code(this.#stream, action);
    if (status === LZMA_STREAM_END) this.ended = true;
    else this.#check(status);
    const produced = OUTPUT_SIZE - this.#word(AVAIL_OUT);
    // A copy: the next call overwrites the output buffer (and memory.buffer changes when memory grows).
    if (produced > 0) yield Buffer.from(new Uint8Array(this.#lib.memory.buffer, this.#output, produced));
  }

  #check(status: number): void {
    if (status !== LZMA_OK) throw new Error(PROBLEMS[status] ?? `liblzma error ${status}`);
  }

  #allocate(size: number): number {
    const pointer = this.#lib.malloc(size);
    if (pointer === 0) throw new Error('out of memory');
    return pointer;
  }

  #word(offset: number): number {
    return new DataView(this.#lib.memory.buffer).getUint32(this.#stream + offset, true);
  }

  #setWord(offset: number, value: number): void {
    new DataView(this.#lib.memory.buffer).setUint32(this.#stream + offset, value, true);
  }
}
