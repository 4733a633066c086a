/**
 * Measures xz decoders on a real Zig tarball: decode to nothing, and full extraction, against `xz -d` and
 * GNU `tar -xJf` in the same run (runs interleaved, median reported). Linux only: it reads wall time, CPU
 * time and peak RSS from GNU time (`/usr/bin/time`).
 *
 *   npx tsx scripts/bench-xz.ts --archive zig-x86_64-linux-0.15.2.tar.xz [--runs 3] [--modules <dir>]...
 *   npx tsx scripts/bench-xz.ts --zig-dir <extracted zig> ...   (repacks it first with `tar -cJf`, xz -6)
 *
 * Decoders other than the one xcc ships can be measured by installing them in a scratch directory
 * (`npm install lzma-native` there) and passing `--modules <dir>`; missing ones are skipped.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Streaming decoders found on npm (see the README for why xcc ships `xz-decompress`), as JavaScript run by
 * plain `node` in the measured process, so that no TypeScript loader inflates time or memory. Each is an
 * async function of `require` (resolving from the directory the package was found in) that returns
 * `(compressed: Readable) => Readable`.
 */
const DECODERS: Record<string, { resolve: string; load: string }> = {
  'xz-decompress': {
    resolve: 'xz-decompress',
    load: `async (require) => {
      const { XzReadableStream } = require('xz-decompress');
      return (input) => Readable.fromWeb(new XzReadableStream(Readable.toWeb(input)));
    }`,
  },
  '@napi-rs/lzma': {
    resolve: '@napi-rs/lzma',
    load: `async (require) => {
      const { xz } = require('@napi-rs/lzma');
      if (typeof xz.decompressStream !== 'function') throw new Error('this version cannot stream (buffer API only)');
      return (input) => Readable.fromWeb(xz.decompressStream(Readable.toWeb(input)));
    }`,
  },
  'lzma-native': {
    resolve: 'lzma-native',
    load: `async (require) => {
      const lzma = require('lzma-native');
      return (input) => input.pipe(lzma.createDecompressor());
    }`,
  },
  'node-liblzma': {
    resolve: 'node-liblzma',
    load: `async (require) => {
      const liblzma = await import(require.resolve('node-liblzma'));
      return (input) => input.pipe(liblzma.createUnxz({ chunkSize: 1 << 20 }));
    }`,
  },
  'node-liblzma/wasm': {
    resolve: 'node-liblzma',
    load: `async (require) => {
      const entry = require.resolve('node-liblzma/wasm');
      const wasm = await import(entry);
      const dir = path.dirname(entry);
      const glue = await import(path.join(dir, 'liblzma.js'));
      await wasm.initModule(() => glue.default({ wasmBinary: readFileSync(path.join(dir, 'liblzma.wasm')) }));
      return (input) => Readable.fromWeb(Readable.toWeb(input).pipeThrough(wasm.createUnxz()));
    }`,
  },
  'xz-compat': {
    resolve: 'xz-compat',
    load: `async (require) => {
      process.env.LZMA_NATIVE_DISABLE = '1';
      const { createXZDecoder } = require('xz-compat');
      return (input) => input.pipe(createXZDecoder());
    }`,
  },
};

const CHILD_PRELUDE = `
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
const [archive, moduleDir, out, root] = process.argv.slice(1);
const require = createRequire(path.join(moduleDir, 'package.json'));
`;

/** Decodes to nothing (counting bytes, so that a decoder that yields nothing fails). */
function decodeChild(load: string): string {
  return `${CHILD_PRELUDE}
const decode = await (${load})(require);
let bytes = 0;
await pipeline(decode(createReadStream(archive)), new Writable({ write(chunk, _e, callback) { bytes += chunk.length; callback(); } }));
if (bytes === 0) throw new Error('decoded nothing');`;
}

function xccChild(extractor: string): string {
  return `${CHILD_PRELUDE}
const { extractTarXz } = await import(${JSON.stringify(pathToFileURL(extractor).href)});
await extractTarXz(createReadStream(archive), out, { root });`;
}

/** node-tar's own extractor (Unpack), fed by the same decoder: for comparison of time and memory. */
function nodeTarChild(): string {
  return `${CHILD_PRELUDE}
const tar = require('tar');
const decode = await (${DECODERS['xz-decompress']?.load})(require);
await pipeline(decode(createReadStream(archive)), tar.x({ cwd: out, strict: true }));`;
}

const script = fileURLToPath(import.meta.url);
const projectRoot = path.resolve(path.dirname(script), '..');
interface Sample {
  wall: number;
  cpu: number;
  rssMiB: number;
}

interface Case {
  name: string;
  baseline?: boolean;
  /** Every run gets a fresh, empty `out` directory (used by the extraction cases). */
  command: (archive: string, out: string) => string[];
}

/** `npm run build` output: measured with plain node, as users run it. */
const builtExtractor = path.join(projectRoot, 'dist', 'zig', 'extract.js');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      archive: { type: 'string' },
      'zig-dir': { type: 'string' },
      root: { type: 'string' },
      runs: { type: 'string', default: '3' },
      modules: { type: 'string', multiple: true, default: [] },
    },
  });
  const archive = values.archive ?? repack(values['zig-dir']);
  const root = values.root ?? path.basename(archive).replace(/\.tar\.xz$/, '');
  const moduleDirs = [projectRoot, ...values.modules];
  const node =
    (code: string, moduleDir = projectRoot) =>
    (file: string, out: string) => [
      process.execPath,
      '--input-type=module',
      '-e',
      code,
      file,
      moduleDir,
      out,
      root,
    ];
  const decoders = Object.entries(DECODERS).flatMap(([name, { resolve, load }]) => {
    const dir = moduleDirs.find((candidate) => resolvable(resolve, candidate));
    if (!dir)
      console.error(`skipping ${name}: not installed (npm install it in a directory and pass --modules)`);
    return dir ? [{ name: `decode: ${name}`, command: node(decodeChild(load), dir) }] : [];
  });
  if (!existsSync(builtExtractor)) console.error(`skipping xcc extractTarXz: run npm run build first`);
  const cases: Case[] = [
    {
      name: 'xz -d (system, baseline)',
      baseline: true,
      command: (file) => ['xz', '-dc', file],
    },
    { name: 'node startup, no work', command: () => [process.execPath, '-e', ''] },
    ...decoders,
    {
      name: 'tar -xJf (GNU tar + xz, baseline)',
      baseline: true,
      command: (file, out) => ['tar', '-xJf', file, '-C', out],
    },
    ...(existsSync(builtExtractor)
      ? [
          {
            name: 'xcc extractTarXz (xz-decompress + own writer)',
            command: node(xccChild(builtExtractor)),
          },
        ]
      : []),
    { name: 'node-tar tar.x (Unpack) fed by xz-decompress', command: node(nodeTarChild()) },
  ];

  const runs = Number(values.runs);
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
  for (let run = 1; run <= runs; run += 1) {
    for (const benchCase of cases) {
      const out = mkdtempSync(path.join(os.tmpdir(), 'xcc-bench-xz-'));
      try {
        const sample = await measure(benchCase.command(archive, out));
        samples.get(benchCase.name)?.push(sample);
        console.error(`run ${run}/${runs} ${benchCase.name}: ${JSON.stringify(sample)}`);
      } catch (error) {
        console.error(
          `run ${run}/${runs} ${benchCase.name} FAILED: ${String(error).split('\n').slice(0, 3).join(' | ')}`,
        );
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  }
  report(cases, samples, archive);
}

/** Runs a command under GNU time; its stdout is discarded. */
function measure(command: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'BENCH %e %U %S %M', ...command], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stderr.split('\n').find((text) => text.startsWith('BENCH '));
      if (code !== 0 || !line) return reject(new Error(`${command.join(' ')} failed (${code}):\n${stderr}`));
      const [wall, user, system, rssKiB] = line.split(' ').slice(1).map(Number) as [
        number,
        number,
        number,
        number,
      ];
      resolve({ wall, cpu: user + system, rssMiB: rssKiB / 1024 });
    });
  });
}

function report(cases: Case[], samples: Map<string, Sample[]>, archive: string): void {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const medians = new Map(
    cases.map((c) => {
      const list = samples.get(c.name) ?? [];
      return [
        c.name,
        {
          wall: median(list.map((s) => s.wall)),
          cpu: median(list.map((s) => s.cpu)),
          rss: median(list.map((s) => s.rssMiB)),
        },
      ];
    }),
  );
  console.log(
    `\n${path.basename(archive)}, ${samples.get(cases[0]?.name ?? '')?.length} runs each, median; ratios against the baseline above the row`,
  );
  console.log('| case | wall s | CPU s | peak RSS MiB | wall / baseline | CPU / baseline |');
  console.log('|---|---:|---:|---:|---:|---:|');
  let baseline = { wall: Number.NaN, cpu: Number.NaN };
  for (const benchCase of cases) {
    const m = medians.get(benchCase.name);
    if (!m) continue;
    if (Number.isNaN(m.wall)) {
      console.log(`| ${benchCase.name} | failed (see stderr) | | | | |`);
      continue;
    }
    if (benchCase.baseline) baseline = m;
    const ratio = (value: number, base: number) => (benchCase.baseline ? '1.00' : (value / base).toFixed(2));
    console.log(
      `| ${benchCase.name} | ${m.wall.toFixed(1)} | ${m.cpu.toFixed(1)} | ${m.rss.toFixed(0)} | ${ratio(m.wall, baseline.wall)} | ${ratio(m.cpu, baseline.cpu)} |`,
    );
  }
}

function resolvable(name: string, dir: string): boolean {
  try {
    createRequire(path.join(dir, 'package.json')).resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Packs an extracted Zig into the official layout (`zig-<arch>-<os>-<version>/`) with `tar -cJf` (xz -6). */
function repack(zigDir: string | undefined): string {
  if (!zigDir) throw new Error('pass --archive <zig .tar.xz> or --zig-dir <extracted zig>');
  const version = execFileSync(path.join(zigDir, 'zig'), ['version'], { encoding: 'utf8' }).trim();
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch as string] ?? process.arch;
  const name = `zig-${arch}-linux-${version}`;
  const archive = path.join(os.tmpdir(), `xcc-bench-${name}.tar.xz`);
  if (existsSync(archive)) return archive;
  const stage = mkdtempSync(path.join(os.tmpdir(), 'xcc-bench-stage-'));
  try {
    execFileSync('cp', ['-a', zigDir, path.join(stage, name)]);
    execFileSync('tar', ['-cJf', `${archive}.part`, '-C', stage, name]);
    execFileSync('mv', [`${archive}.part`, archive]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return archive;
}

await main();
