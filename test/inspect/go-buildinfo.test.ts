import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectBytes } from '../../src/inspect/facts.js';
import { goUnquote, parseModInfo } from '../../src/inspect/go.js';
import { goEnv, goModule, run } from '../support/builds.js';
import { goVersionM, readelf } from '../support/oracles.js';

/**
 * Go's build-info text and quoting, checked against Go itself: a Go program prints what
 * runtime/debug and strconv produce, and xcc must read it back exactly.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'xcc-inspect-buildinfo-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SAMPLES = [
  'plain',
  'with space',
  'tab\there',
  'quote"s',
  'back`tick',
  'new\nline',
  'carriage\rreturn',
  'accents éàü and 世界',
  'emoji 😀',
  'control \u0001\u007f bytes',
  '-X "main.version=1.2 3" -s -w',
  '',
];

const PRINTER = `package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
)

func main() {
	var samples []string
	if err := json.NewDecoder(os.Stdin).Decode(&samples); err != nil {
		panic(err)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.99.1", Path: "example.com/x/cmd/x", Main: debug.Module{Path: "example.com/x", Version: "v1.2.3", Sum: "h1:main="}}
	bi.Deps = []*debug.Module{
		{Path: "example.com/dep", Version: "v0.1.0", Sum: "h1:dep="},
		{Path: "example.com/replaced", Version: "v1.0.0", Replace: &debug.Module{Path: "../local", Version: ""}},
	}
	quoted := []string{}
	for i, s := range samples {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: fmt.Sprintf("k%d", i), Value: s})
		quoted = append(quoted, strconv.Quote(s))
	}
	bi.Settings = append(bi.Settings, debug.BuildSetting{Key: "key with space", Value: "v"}, debug.BuildSetting{Key: "k=eq", Value: "x"})
	json.NewEncoder(os.Stdout).Encode(map[string]any{"text": bi.String(), "quoted": quoted, "settings": bi.Settings})
}
`;

let printed: { text: string; quoted: string[]; settings: { Key: string; Value?: string }[] };

beforeAll(() => {
  const dir = goModule(work, 'printer', { 'main.go': PRINTER });
  writeFileSync(path.join(work, 'samples.json'), JSON.stringify(SAMPLES));
  const result = run('sh', ['-c', 'go run . < ../samples.json'], { cwd: dir, env: goEnv({}) });
  if (result.status !== 0) throw new Error(result.stderr);
  printed = JSON.parse(result.stdout);
}, 600_000);

describe('Go quoting', () => {
  it('undoes strconv.Quote for every sample', () => {
    expect(printed.quoted.map(goUnquote)).toEqual(SAMPLES);
  });

  it.each([
    ['`raw \\n`', 'raw \\n'],
    ['"\\x41\\101\\u00e9\\U0001F600"', 'AAé😀'],
    ['"unterminated', null],
    ['"bad \\q escape"', null],
    ['"short \\x4"', null],
    ['"surrogate \\ud800"', null],
    ['`back`tick`', null],
    ['"raw\nnewline"', null],
  ])('%s', (literal, expected) => {
    expect(goUnquote(literal)).toBe(expected);
  });
});

describe('runtime/debug.BuildInfo text', () => {
  it('reads back what BuildInfo.String wrote: path, modules, replacements, quoted keys and values', () => {
    const info = parseModInfo(Buffer.from(printed.text));
    expect(info).toEqual({
      path: 'example.com/x/cmd/x',
      main: { path: 'example.com/x', version: 'v1.2.3', sum: 'h1:main=', replace: null },
      deps: [
        { path: 'example.com/dep', version: 'v0.1.0', sum: 'h1:dep=', replace: null },
        {
          path: 'example.com/replaced',
          version: 'v1.0.0',
          sum: '',
          replace: { path: '../local', version: '', sum: '' },
        },
      ],
      settings: Object.fromEntries(printed.settings.map((setting) => [setting.Key, setting.Value ?? ''])),
    });
  });

  it.each([
    ['a module line with one column', 'mod\tonly\n'],
    ['a replacement without a module', '=>\ta\tb\tc\n'],
    ['a build line without =', 'build\tnoequals\n'],
    ['a build line with an empty key', 'build\t=v\n'],
    ['a bad quoted value', 'build\tk="unterminated\n'],
  ])('refuses %s', (_name, text) => {
    expect(parseModInfo(Buffer.from(text))).toBeNull();
  });
});

/**
 * Go before 1.18 wrote the build info as pointers to Go strings instead of inline. No such toolchain is at
 * hand, so these ELF files are made here, in both byte orders and word sizes; `go version -m`, which still
 * reads that format, is the judge of whether they are right.
 */
function pointerFormatElf(bits: 32 | 64, endian: 'little' | 'big', version: string, modinfo: string): Buffer {
  const le = endian === 'little';
  const word = bits / 8;
  const base = 0x400000;
  const headerSize = bits === 64 ? 64 : 52;
  const phSize = bits === 64 ? 56 : 32;
  const blob = 0x100;
  const versionHeader = blob + 32;
  const modHeader = versionHeader + 2 * word;
  const versionData = modHeader + 2 * word;
  const sentinel = 'SENTINEL-16bytes';
  const mod = Buffer.from(`${sentinel}${modinfo}${sentinel}`, 'utf8');
  const modData = versionData + version.length;
  const size = modData + mod.length;
  const file = Buffer.alloc(size);
  const u16 = (value: number, at: number) =>
    le ? file.writeUInt16LE(value, at) : file.writeUInt16BE(value, at);
  const u32 = (value: number, at: number) =>
    le ? file.writeUInt32LE(value, at) : file.writeUInt32BE(value, at);
  const ptr = (value: number, at: number) =>
    bits === 32
      ? u32(value, at)
      : le
        ? file.writeBigUInt64LE(BigInt(value), at)
        : file.writeBigUInt64BE(BigInt(value), at);
  file.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, le ? 1 : 2, 1], 0);
  u16(2, 16); // ET_EXEC
  u16(bits === 64 ? 62 : 8, 18); // x86-64, or MIPS for the 32-bit big-endian file
  u32(1, 20);
  ptr(headerSize, bits === 64 ? 32 : 28); // e_phoff
  u16(headerSize, bits === 64 ? 52 : 40);
  u16(phSize, bits === 64 ? 54 : 42);
  u16(1, bits === 64 ? 56 : 44);
  u16(bits === 64 ? 64 : 40, bits === 64 ? 58 : 46);
  const ph = headerSize;
  u32(1, ph); // PT_LOAD
  if (bits === 64) {
    u32(6, ph + 4); // PF_R | PF_W
    ptr(0, ph + 8);
    ptr(base, ph + 16);
    ptr(base, ph + 24);
    ptr(size, ph + 32);
    ptr(size, ph + 40);
    ptr(0x1000, ph + 48);
  } else {
    u32(0, ph + 4);
    u32(base, ph + 8);
    u32(base, ph + 12);
    u32(size, ph + 16);
    u32(size, ph + 20);
    u32(6, ph + 24);
    u32(0x1000, ph + 28);
  }
  file.write('\xff Go buildinf:', blob, 'latin1');
  file[blob + 14] = word;
  file[blob + 15] = le ? 0 : 1; // flags: pointer format, byte order of the pointers
  ptr(base + versionHeader, blob + 16);
  ptr(base + modHeader, blob + 16 + word);
  ptr(base + versionData, versionHeader);
  ptr(version.length, versionHeader + word);
  ptr(base + modData, modHeader);
  ptr(mod.length, modHeader + word);
  file.write(version, versionData, 'latin1');
  mod.copy(file, modData);
  return file;
}

describe('the pre-1.18 pointer format', () => {
  const modinfo =
    'path\texample.com/old\nmod\texample.com/old\t(devel)\t\nbuild\tGOOS=linux\nbuild\t-ldflags="-s -w"\n';

  it.each([
    [64, 'little'],
    [32, 'big'],
  ] as const)('%i-bit %s-endian, as go version -m reads it', (bits, endian) => {
    const file = path.join(work, `old-${bits}-${endian}`);
    writeFileSync(file, pointerFormatElf(bits, endian, 'go1.17.13', modinfo));
    expect(readelf(file)).toMatchObject({ bits, endian });
    const [image] = inspectBytes(pointerFormatElf(bits, endian, 'go1.17.13', modinfo));
    expect(image?.go).toMatchObject({
      version: 'go1.17.13',
      path: 'example.com/old',
      settings: { GOOS: 'linux', '-ldflags': '-s -w' },
    });
    expect(goVersionM(file)).toEqual({
      version: 'go1.17.13',
      lines: [
        'path\texample.com/old',
        'mod\texample.com/old\t(devel)\t',
        'build\tGOOS=linux',
        'build\t-ldflags="-s -w"',
      ],
    });
  });

  it('a pointer past the data means no build info, as in Go', () => {
    const file = pointerFormatElf(64, 'little', 'go1.17.13', modinfo);
    file.writeBigUInt64LE(0x7fff0000n, 0x100 + 16);
    expect(inspectBytes(file)[0]?.go).toBeNull();
  });
});
