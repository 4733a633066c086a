import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, type TestContext } from 'vitest';
import { parseAge } from '../../src/cli/format.js';
import { XccError } from '../../src/errors.js';
import { proxySettings, retryAfterMs, timeoutSetting } from '../../src/zig/net/http.js';
import { pinnedCatalog, zigReleases } from '../../src/zig/releases/pinned.js';
import {
  findArtifact,
  indexCatalog,
  parseIndex,
  parseVersionSpec,
  resolveVersion,
  type ZigIndex,
} from '../../src/zig/releases/releases.js';
import { parseMirrorList, userMirrors } from '../../src/zig/sources/mirrors.js';
import { parseSimpleHtml, parseSimpleJson } from '../../src/zig/sources/pypi-index.js';
import {
  MinisignError,
  type MinisignFailure,
  parsePublicKey,
  parseSignature,
  parseTrustedComment,
  verifySignature,
} from '../../src/zig/verify/minisign.js';
import { expectedDigest } from '../../src/zig/verify/trust.js';
import { fixturesDir, projectRoot } from '../support/paths.js';
import { recordCategory } from '../support/reliability.js';

/**
 * Everything xcc parses that comes from outside (index.json, .minisig files and keys, PyPI's simple index
 * in JSON and HTML, version specs, settings) fed with random and mutated input. The only acceptable
 * failure is an XccError whose message is one non-empty line (what the CLI prints as is). Extends the
 * index fuzzing in test/zig/releases.test.ts (any value at any place of the real index) with text-level
 * mutations, generated documents, and the code that consumes a parsed index.
 */

const recorder = recordCategory(
  'fuzzing',
  'Parser fuzzing',
  'fast-check properties over index.json (random text, mutations of the real index, generated documents, and the resolution and trust code that reads them), .minisig files and public keys (random text, and line, character and bit mutations of a real Zig signature, each of which must be refused against the real key: mutations minisign ignores are excluded by construction), PyPI simple-index JSON and HTML, version specs and settings: nothing but a one-line XccError ever escapes.',
  'fuzzed inputs',
);

const RUNS = 400;
const indexText = readFileSync(path.join(fixturesDir, 'zig', 'index.json'), 'utf8');
const minisign = (name: string) => readFileSync(path.join(fixturesDir, 'minisign', name), 'utf8');
const zigKey = parsePublicKey(minisign('zig.pub'));
const realSignature = minisign('zig-x86_64-linux-0.15.1.tar.xz.minisig');
const realDigest = Buffer.from(minisign('zig-x86_64-linux-0.15.1.tar.xz.blake2b512').trim(), 'hex');

/** Runs `parse`; anything thrown must be an XccError with a one-line message. Returns the result or undefined. */
function clearly<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof XccError)) throw error;
    expect(error.message).not.toMatch(/[\n\r]/);
    expect(error.message.trim()).not.toBe('');
    return undefined;
  }
}

/** A property checked `runs` times, counted as that many cases in the results. */
function check<Ts extends [unknown, ...unknown[]]>(
  context: TestContext,
  property: fc.IPropertyWithHooks<Ts>,
  runs = RUNS,
) {
  fc.assert(property, { numRuns: runs });
  recorder.cases(context, runs);
}

/** Text edits: replace, insert or delete a run of characters at a random place. */
function mutated(text: string): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat({ max: text.length }),
    remove: fc.nat({ max: 8 }),
    insert: fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\n', '\\', '\u0000'),
    ),
  });
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) =>
    edits.reduce((current, { at, remove, insert }) => {
      const where = Math.min(at, current.length);
      return current.slice(0, where) + insert + current.slice(where + remove);
    }, text),
  );
}

// A small real index keeps the mutation runs fast: master, a release with `version`, an armv7a one.
const smallIndex = (() => {
  const full = JSON.parse(indexText) as Record<string, unknown>;
  return JSON.stringify(
    Object.fromEntries(['master', '0.15.2', '0.14.1'].map((key) => [key, full[key]])),
    null,
    1,
  );
})();

const versionKey = fc.oneof(
  fc.constantFrom('master', '0.15.2', '0.14.1', '0.12.0', '0.16.0-dev.1+abc', '1.0.0', '0.15', 'latest', ''),
  fc.string({ maxLength: 12 }),
);
const hostKey = fc.oneof(
  fc.constantFrom('x86_64-linux', 'aarch64-macos', 'armv7a-linux', 'arm-linux', 'src', 'bootstrap', 'x86_64'),
  fc.string({ maxLength: 12 }),
);
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 70 }));
const artifact = fc.record(
  {
    tarball: fc.oneof(
      fc.constantFrom(
        'https://ziglang.org/download/0.15.2/zig-x86_64-linux-0.15.2.tar.xz',
        'http://127.0.0.1:1/',
        'https://x/a b.tar.xz',
        'file:///etc/passwd',
      ),
      fc.webUrl(),
      anyValue,
    ),
    shasum: fc.oneof(fc.stringMatching(/^[0-9a-fA-F]{64}$/), anyValue),
    size: fc.oneof(fc.nat().map(String), fc.nat(), fc.constantFrom('-1', '1e3', '0x10', ''), anyValue),
  },
  { requiredKeys: [] },
);
const release = fc.dictionary(
  fc.oneof(hostKey, fc.constantFrom('version', 'date', 'notes', 'docs')),
  fc.oneof(artifact, anyValue, versionKey),
  { maxKeys: 5 },
);
const indexDocument = fc.dictionary(versionKey, fc.oneof(release, anyValue), { maxKeys: 5 });

const spec = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'latest',
    'master',
    '0.15',
    '0.15.2',
    '>=0.14 <0.16',
    '^0.15',
    '0.99',
    '*',
    'x',
    '0.16.0-dev.1+abc',
  ),
  fc.string({ maxLength: 16 }),
);

/** What the installer does with a parsed index: catalog, resolution, the hash to trust. */
function consume(index: ZigIndex, specText: string) {
  const catalog = indexCatalog(index);
  const parsed = clearly(() => parseVersionSpec(specText));
  if (parsed === undefined) return;
  const resolved = clearly(() => resolveVersion(parsed, catalog));
  if (resolved === undefined) return;
  findArtifact(index, resolved.version, 'x86_64-linux');
  for (const privateIndex of [true, false]) {
    clearly(() =>
      expectedDigest(
        { version: resolved.version, host: 'x86_64-linux', source: 'tarball' },
        { pinned: zigReleases(), index, privateIndex },
      ),
    );
  }
}

describe('index.json', () => {
  it('random text', (context) => {
    check(
      context,
      fc.property(fc.string({ maxLength: 200 }), (text) => void clearly(() => parseIndex(text))),
    );
  });

  it('mutations of the real index, then resolution and trust on what still parses', (context) => {
    check(
      context,
      fc.property(mutated(smallIndex), spec, (text, specText) => {
        const index = clearly(() => parseIndex(text, 'index.json'));
        if (index) consume(index, specText);
      }),
    );
  });

  it('generated documents, then resolution and trust on what parses', (context) => {
    check(
      context,
      fc.property(indexDocument, spec, (document, specText) => {
        const index = clearly(() => parseIndex(JSON.stringify(document), 'XCC_ZIG_INDEX (index.json)'));
        if (index) consume(index, specText);
      }),
    );
  });
});

/**
 * .minisig files: every mutation of the real Zig signature must be REJECTED, not merely fail cleanly. A
 * mutation that leaves the signature equivalent is excluded by construction, not caught: minisign ignores
 * the untrusted comment after its prefix, a `\r` before a line's `\n`, and the final newline (the control
 * below shows those still verify), so no mutation touches them; every other edit changes a signed byte,
 * the line structure, or a prefix, and each generator says why it cannot produce the original.
 */
describe('.minisig and public keys', () => {
  const LINES = realSignature.trimEnd().split('\n') as [string, string, string, string];
  const UNTRUSTED_PREFIX = 'untrusted comment: ';
  const COMMENT = LINES[2].slice('trusted comment: '.length);
  const join = (lines: readonly string[]) => `${lines.join('\n')}\n`;
  // The shortest signed line (the trusted comment, 77 characters) is longer than any replacement below.
  const SHORTEST_SIGNED_LINE = Math.min(LINES[1].length, LINES[2].length, LINES[3].length);

  /**
   * Parses and verifies against the real Zig key and the real file's digest: undefined when accepted,
   * else why it was refused. Anything thrown must be a MinisignError with a one-line message.
   */
  function refusal(text: string): MinisignFailure | undefined {
    try {
      const signature = parseSignature(text, 'zig.tar.xz.minisig');
      verifySignature(
        zigKey,
        signature,
        { blake2b512: realDigest },
        { fileName: 'zig-x86_64-linux-0.15.1.tar.xz' },
      );
      parseTrustedComment(signature.trustedComment);
      return undefined;
    } catch (error) {
      if (!(error instanceof MinisignError)) throw error;
      expect(error.message).not.toMatch(/[\n\r]/);
      return error.reason;
    }
  }

  function rejected(text: string): void {
    expect(refusal(text), JSON.stringify(text)).toBeDefined();
  }

  it('the control: the real signature verifies, and so do the edits minisign ignores', () => {
    expect(refusal(realSignature)).toBeUndefined();
    expect(refusal(realSignature.replaceAll('\n', '\r\n'))).toBeUndefined();
    expect(refusal(realSignature.trimEnd())).toBeUndefined();
    expect(refusal(join([`${UNTRUSTED_PREFIX}anything at all`, ...LINES.slice(1)]))).toBeUndefined();
  });

  it('random text is rejected', (context) => {
    check(context, fc.property(fc.string({ maxLength: 300 }), rejected));
  });

  // One edit a case: two could undo each other (a swap twice).
  const lineEdit = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat({ max: 3 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat({ max: 3 }) }),
    // Two different lines: the four lines differ, so a swap always changes the text.
    fc.record({
      kind: fc.constant('swap' as const),
      at: fc.nat({ max: 3 }),
      by: fc.integer({ min: 1, max: 3 }),
    }),
    // The untrusted comment by a text shorter than its prefix (so it cannot keep the prefix); a signed line
    // by a text shorter than any signed line (so it cannot be that line, with or without a trailing \r).
    fc.nat({ max: 3 }).chain((at) =>
      fc.record({
        kind: fc.constant('replace' as const),
        at: fc.constant(at),
        text: fc.string({ maxLength: at === 0 ? UNTRUSTED_PREFIX.length - 1 : SHORTEST_SIGNED_LINE - 2 }),
      }),
    ),
  );

  it('line edits of a real Zig signature (drop, duplicate, swap, replace) are rejected', (context) => {
    check(
      context,
      fc.property(lineEdit, (edit) => {
        const edited: string[] = [...LINES];
        if (edit.kind === 'drop') edited.splice(edit.at, 1);
        else if (edit.kind === 'duplicate') edited.splice(edit.at, 0, LINES[edit.at]!);
        else if (edit.kind === 'swap') {
          const other = (edit.at + edit.by) % 4;
          [edited[edit.at], edited[other]] = [LINES[other]!, LINES[edit.at]!];
        } else edited[edit.at] = edit.text;
        rejected(join(edited));
      }),
    );
  });

  /**
   * One character edit inside a signed line (signature, trusted comment, global signature): a character
   * replaced by a different one, a non-empty run deleted, or a non-empty text inserted before a character
   * (never at the end, where a lone `\r` would be ignored). In the untrusted comment only its prefix
   * counts, and only a replaced character surely breaks it (an inserted space after `comment:` would not).
   */
  const characterEdit = fc.integer({ min: 0, max: 3 }).chain((line) => {
    const length = line === 0 ? UNTRUSTED_PREFIX.length : LINES[line]!.length;
    return fc.nat({ max: length - 1 }).chain((at) => {
      const replace = fc.record({
        kind: fc.constant('replace' as const),
        line: fc.constant(line),
        at: fc.constant(at),
        shift: fc.integer({ min: 1, max: 0xffff }),
      });
      if (line === 0) return replace;
      return fc.oneof(
        replace,
        fc.record({
          kind: fc.constant('delete' as const),
          line: fc.constant(line),
          at: fc.constant(at),
          count: fc.integer({ min: 1, max: length - at }),
        }),
        fc.record({
          kind: fc.constant('insert' as const),
          line: fc.constant(line),
          at: fc.constant(at),
          text: fc.string({ minLength: 1, maxLength: 8 }),
        }),
      );
    });
  });

  it('character edits of a real Zig signature are rejected', (context) => {
    check(
      context,
      fc.property(characterEdit, (edit) => {
        const line = LINES[edit.line]!;
        const { at } = edit;
        let changed: string;
        if (edit.kind === 'replace') {
          // A code unit shifted by 1..0xffff (mod 0x10000) is never the one it replaces.
          const unit = String.fromCharCode((line.charCodeAt(at) + edit.shift) % 0x10000);
          changed = line.slice(0, at) + unit + line.slice(at + 1);
        } else if (edit.kind === 'delete') changed = line.slice(0, at) + line.slice(at + edit.count);
        else changed = line.slice(0, at) + edit.text + line.slice(at);
        const edited: string[] = [...LINES];
        edited[edit.line] = changed;
        rejected(join(edited));
      }),
    );
  });

  /** Each byte of a decoded line, by what it is, and the check that must refuse a change to it. */
  const REGIONS = [
    { line: 1, from: 0, to: 2, reasons: ['malformed-signature', 'legacy-refused'] },
    { line: 1, from: 2, to: 10, reasons: ['key-id-mismatch'] },
    // The global signature covers the signature, and is checked first.
    { line: 1, from: 10, to: 74, reasons: ['bad-global-signature'] },
    { line: 3, from: 0, to: 64, reasons: ['bad-global-signature'] },
  ] as const;

  it('bit flips in the signed bytes (algorithm, key id, signature, global signature) are refused by the check that owns them', (context) => {
    const flip = fc.constantFrom(...REGIONS).chain((region) =>
      fc.record({
        region: fc.constant(region),
        at: fc.integer({ min: region.from, max: region.to - 1 }),
        mask: fc.integer({ min: 1, max: 255 }),
      }),
    );
    check(
      context,
      fc.property(flip, ({ region, at, mask }) => {
        const bytes = Buffer.from(LINES[region.line]!, 'base64');
        bytes[at]! ^= mask;
        const edited: string[] = [...LINES];
        edited[region.line] = bytes.toString('base64');
        expect(region.reasons).toContain(refusal(join(edited)));
      }),
    );
  });

  it('the real signature with any other trusted comment is refused by the global signature', (context) => {
    const comment = fc
      .string({ maxLength: 120 })
      .map((text) => text.replace(/[\r\n]/g, ' '))
      // The one comment that is not a mutation: the original.
      .filter((text) => text !== COMMENT);
    check(
      context,
      fc.property(comment, (text) => {
        const edited: string[] = [...LINES];
        edited[2] = `trusted comment: ${text}`;
        expect(refusal(join(edited))).toBe('bad-global-signature');
      }),
    );
  });

  it('public keys: random text and mutations of the real key file', (context) => {
    check(
      context,
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), mutated(minisign('zig.pub'))), (text) => {
        clearly(() => parsePublicKey(text));
      }),
    );
  });
});

describe('PyPI simple index', () => {
  const page = 'https://pypi.example/simple/ziglang/';
  const html = readFileSync(
    path.join(projectRoot, 'test', 'fixtures', 'pypi', 'ziglang-simple.html'),
    'utf8',
  );

  /** Results are usable: each URL parses, each sha256 is 64 lower-case hex digits or absent. */
  function wellFormed(files: ReturnType<typeof parseSimpleHtml> | undefined) {
    for (const file of files ?? []) {
      expect(URL.canParse(file.url)).toBe(true);
      if (file.sha256 !== undefined) expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  }

  const href = fc.oneof(
    fc.constantFrom(
      'http://[',
      '//',
      '#sha256=',
      'javascript:x',
      '../../x.whl#sha256=zz',
      '&amp;&lt;',
      'https://a/b#sha256=',
    ),
    fc.webUrl({ withFragments: true, withQueryParameters: true }),
    fc.string({ maxLength: 40 }),
  );
  const anchor = fc
    .tuple(href, fc.string({ maxLength: 30 }), fc.boolean(), fc.constantFrom('"', "'"))
    .map(
      ([url, text, yanked, quote]) =>
        `<a href=${quote}${url}${quote}${yanked ? ' data-yanked' : ''}>${text}</a>`,
    );

  it('HTML: random text, mutations of the real page, generated anchors', (context) => {
    const input = fc.oneof(
      fc.string({ maxLength: 200 }),
      mutated(html),
      fc.array(anchor, { maxLength: 6 }).map((anchors) => anchors.join('\n')),
    );
    check(
      context,
      fc.property(input, (text) => wellFormed(clearly(() => parseSimpleHtml(text, page)))),
    );
  });

  const file = fc.record(
    {
      filename: fc.oneof(fc.constant('ziglang-0.15.2-py3-none-manylinux_2_12_x86_64.whl'), anyValue),
      url: fc.oneof(href, anyValue),
      hashes: fc.oneof(
        fc.record({ sha256: fc.oneof(fc.stringMatching(/^[0-9a-fA-F]{64}$/), anyValue) }),
        anyValue,
      ),
      yanked: fc.oneof(fc.boolean(), anyValue),
    },
    { requiredKeys: [] },
  );

  it('JSON: random text, any JSON value, generated PEP 691 documents', (context) => {
    const input = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc
        .record({ files: fc.oneof(fc.array(fc.oneof(file, anyValue), { maxLength: 4 }), anyValue) })
        .map((doc) => JSON.stringify(doc)),
    );
    check(
      context,
      fc.property(input, (text) => wellFormed(clearly(() => parseSimpleJson(text, page)))),
    );
  });
});

describe('version specs and settings', () => {
  it('version specs, resolved against the pinned table', (context) => {
    const catalog = pinnedCatalog(zigReleases());
    check(
      context,
      fc.property(spec, (text) => {
        const parsed = clearly(() => parseVersionSpec(text));
        if (parsed) clearly(() => resolveVersion(parsed, catalog));
      }),
    );
  });

  it('XCC_ZIG_MIRROR, XCC_HTTP_TIMEOUT, proxy variables, Retry-After, mirror lists, prune ages', (context) => {
    const text = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.webUrl(),
      fc.constantFrom(',', ' , ', '0', '-1', '1e3', '30', 'http://[::1'),
    );
    check(
      context,
      fc.property(text, text, (a, b) => {
        for (const mirror of clearly(() => userMirrors({ XCC_ZIG_MIRROR: `${a},${b}` })) ?? []) {
          expect(URL.canParse(mirror)).toBe(true);
        }
        clearly(() => timeoutSetting({ XCC_HTTP_TIMEOUT: a }));
        clearly(() => proxySettings({ HTTPS_PROXY: a, http_proxy: b }));
        const delay = retryAfterMs(a);
        if (delay !== undefined) expect(delay).toBeGreaterThanOrEqual(0);
        for (const url of parseMirrorList(`${a}\n${b}\n`)) expect(url).toMatch(/^https:\/\//);
        const age = parseAge(a);
        if (age !== undefined) expect(age).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
