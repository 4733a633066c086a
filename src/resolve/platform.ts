import { UsageError } from '../errors.js';
import { type GoPort, targetsData } from './data.js';
import { closest } from './suggest.js';

/** A target as typed, split into Go's names: `linux/arm/v7` -> linux, arm, variant v7. */
export interface Platform {
  goos: string;
  goarch: string;
  /** The OCI platform variant (`v7` in `linux/arm/v7`), if any. */
  variant: string | undefined;
  goPort: GoPort;
}

const HINT = "run 'xcc targets' for the list";

/** Parses `GOOS/GOARCH` or `GOOS/GOARCH/VARIANT`; every mistake is a UsageError with a suggestion. */
export function parsePlatform(text: string): Platform {
  const target = text.trim();
  if (target === '') throw new UsageError(`empty target; write GOOS/GOARCH, e.g. linux/arm64 (${HINT})`);
  if (!target.includes('/')) throw withoutSlash(target);
  const parts = target.split('/');
  if (parts.length > 3) {
    throw new UsageError(`target '${target}' has too many parts; write GOOS/GOARCH or GOOS/GOARCH/VARIANT`);
  }
  const [goos = '', goarch = '', variant] = parts;
  if (goarch === '') throw new UsageError(`target '${target}' has no GOARCH; write GOOS/GOARCH (${HINT})`);
  if (variant === '') throw new UsageError(`target '${target}' ends with '/'; write GOOS/GOARCH/VARIANT`);
  if (!knownGoos().has(goos)) throw unknownName('GOOS', goos, target, suggestTarget(goos, goarch, variant));
  if (!knownGoarch().has(goarch)) {
    throw unknownName('GOARCH', goarch, target, suggestTarget(goos, goarch, variant));
  }
  const goPort = findPort(goos, goarch);
  if (goPort === undefined) {
    const others = portsOf(goos).map((port) => port.goarch);
    throw new UsageError(`${goos}/${goarch} is not a Go port; ${goos} has ${others.join(', ')}`);
  }
  return { goos, goarch, variant, goPort };
}

export function findPort(goos: string, goarch: string): GoPort | undefined {
  return targetsData().goPorts.ports.find((port) => port.goos === goos && port.goarch === goarch);
}

function portsOf(goos: string): GoPort[] {
  return targetsData().goPorts.ports.filter((port) => port.goos === goos);
}

function knownGoos(): Set<string> {
  return new Set(targetsData().goPorts.ports.map((port) => port.goos));
}

function knownGoarch(): Set<string> {
  return new Set(targetsData().goPorts.ports.map((port) => port.goarch));
}

function unknownName(kind: string, name: string, target: string, suggestion: string | undefined): UsageError {
  const hint = suggestion === undefined ? HINT : `did you mean '${suggestion}'?`;
  return new UsageError(`unknown ${kind} '${name}' in '${target}'; ${hint}`);
}

/** `linux-arm64`, `x86_64-linux-musl`, `linux`: say how to write it with slashes. */
function withoutSlash(target: string): UsageError {
  const [first = '', second = ''] = target.split('-');
  const suggestion =
    second === '' ? undefined : (suggestTarget(first, second) ?? suggestTarget(second, first));
  if (suggestion !== undefined) {
    return new UsageError(`'${target}' is not GOOS/GOARCH; did you mean '${suggestion}'?`);
  }
  if (knownGoos().has(target)) {
    const ports = portsOf(target);
    const example = ports.find((port) => port.goarch === 'amd64') ?? ports[0]!;
    return new UsageError(
      `target '${target}' has no GOARCH; write GOOS/GOARCH, e.g. ${example.goos}/${example.goarch} (${HINT})`,
    );
  }
  return new UsageError(`'${target}' is not GOOS/GOARCH, e.g. linux/arm64 (${HINT})`);
}

/**
 * The Go target a user most likely meant: each part through the alias table, else the closest Go
 * name; only returned when the result is a real port.
 */
function suggestTarget(goos: string, goarch: string, variant?: string): string | undefined {
  const { aliases } = targetsData();
  const os = guessName(goos, aliases.goos, knownGoos());
  const arch = guessName(goarch, aliases.goarch, knownGoarch());
  if (os === undefined || arch === undefined) return undefined;
  const [archName = '', archVariant] = arch.split('/');
  if (findPort(os, archName) === undefined) return undefined;
  const chosenVariant = variant ?? archVariant;
  return [os, archName, chosenVariant].filter((part) => part !== undefined).join('/');
}

function guessName(word: string, aliases: Record<string, string>, known: Set<string>): string | undefined {
  const lower = word.toLowerCase();
  if (known.has(lower)) return lower;
  return Object.hasOwn(aliases, lower) ? aliases[lower] : closest(lower, known);
}
