import { UsageError } from '../errors.js';
import { type BinaryFacts, compareDottedVersions } from './facts.js';
import { reproducibilityProblems, target } from './verdicts.js';

/**
 * `--expect`: a comma-separated list of facts a release gate requires, each optionally negated with `!`.
 *
 *   GOOS/GOARCH[/variant]   linux/arm64, linux/arm/v7, linux/amd64/v3, windows/amd64, darwin/arm64
 *   static | static-pie | dynamic
 *   glibc | musl            the C library linked (dynamically or statically)
 *   glibc<=X.Y | glibc<X.Y  needs no glibc symbol version newer than that (true for static and musl binaries)
 *   go | go>=X.Y[.Z]        a Go binary; built with at least that Go
 *   cgo                     built with CGO_ENABLED=1
 *   stripped                no symbol table
 *   trimpath | reproducible | buildid
 *   hardfloat | softfloat   32-bit ARM float ABI (C code: e_flags; pure Go: GOARM)
 *   macos<=X.Y | macos<X.Y  Mach-O: the minimum macOS (LC_BUILD_VERSION) is at most that
 *   signed                  Mach-O: a code signature whose page hashes hold (ad hoc or not)
 *
 * For a universal binary, a GOOS/GOARCH expectation holds if one of its images matches; every other
 * expectation must hold for all of them.
 */

type Fact =
  | { kind: 'target'; os: string; arch: string; variant: string | null }
  | { kind: 'linkage'; value: BinaryFacts['linkage'] }
  | { kind: 'libc'; value: 'glibc' | 'musl' }
  | { kind: 'glibc-max'; version: string; inclusive: boolean }
  | { kind: 'go-min'; version: string }
  | { kind: 'flag'; name: 'go' | 'cgo' | 'stripped' | 'trimpath' | 'reproducible' | 'buildid' }
  | { kind: 'float'; value: 'hard' | 'soft' }
  | { kind: 'macos-max'; version: string; inclusive: boolean }
  | { kind: 'signed' };

export interface Expectation {
  /** As written, for messages: `!cgo`, `glibc<=2.28`. */
  text: string;
  negated: boolean;
  fact: Fact;
}

export interface ExpectationResult {
  expectation: string;
  ok: boolean;
  /** What the binary is, in the expectation's terms: `linux/amd64`, `dynamic (needs libc.so.6)`. */
  actual: string;
}

const SYNTAX =
  'use GOOS/GOARCH[/variant], static, static-pie, dynamic, glibc, musl, glibc<=X.Y, go, go>=X.Y, cgo, ' +
  'stripped, trimpath, reproducible, buildid, hardfloat, softfloat, macos<=X.Y or signed, ' +
  "each optionally negated with '!'";

const FLAGS = new Set(['go', 'cgo', 'stripped', 'trimpath', 'reproducible', 'buildid']);

export function parseExpectations(list: string): Expectation[] {
  const items = list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new UsageError(`--expect is empty; ${SYNTAX}`);
  return items.map(parseExpectation);
}

function parseExpectation(text: string): Expectation {
  const negated = text.startsWith('!');
  const body = (negated ? text.slice(1) : text).trim();
  const fact = parseFact(body);
  if (fact === null) throw new UsageError(`unknown expectation '${text}' in --expect; ${SYNTAX}`);
  return { text, negated, fact };
}

function parseFact(body: string): Fact | null {
  const targetMatch = /^([a-z0-9]+)\/([a-z0-9]+)(?:\/([a-z0-9.,]+))?$/.exec(body);
  if (targetMatch !== null) {
    return { kind: 'target', os: targetMatch[1]!, arch: targetMatch[2]!, variant: targetMatch[3] ?? null };
  }
  if (body === 'static' || body === 'static-pie' || body === 'dynamic')
    return { kind: 'linkage', value: body };
  if (body === 'glibc' || body === 'musl') return { kind: 'libc', value: body };
  if (body === 'hardfloat' || body === 'softfloat')
    return { kind: 'float', value: body === 'hardfloat' ? 'hard' : 'soft' };
  if (FLAGS.has(body)) return { kind: 'flag', name: body as Extract<Fact, { kind: 'flag' }>['name'] };
  const glibc = /^glibc(<=|<)(\d+\.\d+(?:\.\d+)?)$/.exec(body);
  if (glibc !== null) return { kind: 'glibc-max', version: glibc[2]!, inclusive: glibc[1] === '<=' };
  const macos = /^macos(<=|<)(\d+(?:\.\d+){0,2})$/.exec(body);
  if (macos !== null) return { kind: 'macos-max', version: macos[2]!, inclusive: macos[1] === '<=' };
  if (body === 'signed') return { kind: 'signed' };
  const go = /^go>=(?:go)?(\d+\.\d+(?:\.\d+)?)$/.exec(body);
  if (go !== null) return { kind: 'go-min', version: go[1]! };
  return null;
}

export function checkExpectations(
  images: readonly BinaryFacts[],
  expectations: readonly Expectation[],
): ExpectationResult[] {
  return expectations.map((expectation) => {
    const results = images.map((facts) => evaluate(expectation.fact, facts));
    const holds =
      expectation.fact.kind === 'target'
        ? results.some((result) => result.holds)
        : results.every((result) => result.holds);
    const actual = [...new Set(results.map((result) => result.actual))].join(' + ');
    return { expectation: expectation.text, ok: holds !== expectation.negated, actual };
  });
}

function evaluate(fact: Fact, facts: BinaryFacts): { holds: boolean; actual: string } {
  switch (fact.kind) {
    case 'target':
      return evaluateTarget(fact, facts);
    case 'linkage': {
      const holds = fact.value === 'static' ? facts.linkage !== 'dynamic' : facts.linkage === fact.value;
      return { holds, actual: linkageText(facts) };
    }
    case 'libc':
      return {
        holds: facts.libc === fact.value,
        actual: facts.libc === null ? 'no known C library' : `libc ${facts.libc}`,
      };
    case 'glibc-max':
      return evaluateGlibcMax(fact, facts);
    case 'go-min':
      return evaluateGoMin(fact.version, facts);
    case 'flag':
      return evaluateFlag(fact.name, facts);
    case 'float': {
      const abi = floatAbi(facts);
      return { holds: abi === fact.value, actual: abi === null ? 'not a 32-bit ARM binary' : `${abi}-float` };
    }
    case 'macos-max':
      return evaluateMacosMax(fact, facts);
    case 'signed':
      return evaluateSigned(facts);
  }
}

function evaluateMacosMax(fact: Extract<Fact, { kind: 'macos-max' }>, facts: BinaryFacts) {
  if (facts.format !== 'macho') return { holds: false, actual: 'not a Mach-O binary' };
  if (facts.os !== 'darwin') return { holds: false, actual: `a ${target(facts)} binary` };
  if (facts.minOsVersion === null) return { holds: true, actual: 'no minimum macOS recorded' };
  const order = compareDottedVersions(facts.minOsVersion, fact.version);
  return { holds: fact.inclusive ? order <= 0 : order < 0, actual: `needs macOS ${facts.minOsVersion}` };
}

function evaluateSigned(facts: BinaryFacts) {
  if (facts.macho === null) return { holds: false, actual: 'not a Mach-O binary' };
  const signature = facts.macho.codeSignature;
  if (signature === null) return { holds: false, actual: 'not signed' };
  const kind = signature.adhoc ? 'ad hoc' : 'with a certificate';
  return { holds: signature.valid, actual: `signed ${kind}, ${signature.valid ? 'valid' : 'INVALID'}` };
}

function evaluateTarget(fact: Extract<Fact, { kind: 'target' }>, facts: BinaryFacts) {
  const actual = facts.cpuVariant === null ? target(facts) : `${target(facts)}/${facts.cpuVariant}`;
  const holds =
    facts.os === fact.os &&
    facts.arch === fact.arch &&
    (fact.variant === null || facts.cpuVariant === normalizeVariant(fact));
  return { holds, actual };
}

/** `linux/arm/7` and `linux/arm/v7` both mean GOARM=7; other variants are written as Go spells them. */
function normalizeVariant(fact: Extract<Fact, { kind: 'target' }>): string | null {
  if (fact.arch === 'arm' && fact.variant !== null && /^\d$/.test(fact.variant)) return `v${fact.variant}`;
  return fact.variant;
}

function linkageText(facts: BinaryFacts): string {
  if (facts.linkage !== 'dynamic') return facts.linkage;
  const needs = [facts.interpreter, ...facts.libraries].filter((item) => item !== null);
  return `dynamic (needs ${needs.join(', ')})`;
}

function evaluateGlibcMax(fact: Extract<Fact, { kind: 'glibc-max' }>, facts: BinaryFacts) {
  if (facts.glibc === null) return { holds: true, actual: 'needs no glibc symbol version' };
  const order = compareDottedVersions(facts.glibc.version, fact.version);
  return { holds: fact.inclusive ? order <= 0 : order < 0, actual: `needs glibc ${facts.glibc.version}` };
}

function evaluateGoMin(version: string, facts: BinaryFacts) {
  if (facts.go === null) return { holds: false, actual: 'not a Go binary' };
  const built = /^go(\d+(?:\.\d+)*)/.exec(facts.go.version)?.[1];
  // A release candidate (go1.23rc1) comes before the release it leads to.
  const prerelease = /^go\d+(?:\.\d+)*(rc|beta)/.test(facts.go.version);
  const order = built === undefined ? -1 : compareDottedVersions(built, version);
  return { holds: order > 0 || (order === 0 && !prerelease), actual: `built with ${facts.go.version}` };
}

function evaluateFlag(name: Extract<Fact, { kind: 'flag' }>['name'], facts: BinaryFacts) {
  if (name === 'stripped')
    return { holds: facts.stripped, actual: facts.stripped ? 'stripped' : 'not stripped' };
  const go = facts.go;
  if (go === null) return { holds: false, actual: 'not a Go binary' };
  switch (name) {
    case 'go':
      return { holds: true, actual: `a Go binary (${go.version})` };
    case 'cgo':
      return {
        holds: go.settings.CGO_ENABLED === '1',
        actual: `CGO_ENABLED=${go.settings.CGO_ENABLED ?? 'unset'}`,
      };
    case 'trimpath':
      return {
        holds: go.settings['-trimpath'] === 'true',
        actual: go.settings['-trimpath'] === 'true' ? '-trimpath' : 'no -trimpath',
      };
    case 'buildid':
      return {
        holds: go.buildId !== null,
        actual: go.buildId === null ? 'Go build ID cleared' : 'Go build ID present',
      };
    case 'reproducible': {
      const problems = reproducibilityProblems(facts) ?? [];
      return {
        holds: problems.length === 0,
        actual: problems.length === 0 ? 'reproducible' : problems.join('; '),
      };
    }
  }
}

function floatAbi(facts: BinaryFacts): 'hard' | 'soft' | null {
  if (facts.arch !== 'arm') return null;
  if (facts.arm?.floatAbi != null) return facts.arm.floatAbi;
  const goarm = facts.go?.settings.GOARM;
  if (goarm === undefined) return null;
  return goarm === '5' || goarm.endsWith(',softfloat') ? 'soft' : 'hard';
}
