import { UsageError } from '../errors.js';
import {
  type AbiFloat,
  type Goarm64Data,
  type GoarmData,
  type PlainSubArchData,
  type SubArchVariable,
  targetsData,
  type ZigRanged,
} from './data.js';
import type { Platform } from './platform.js';
import { closest, listAnd, listOr } from './suggest.js';

/** Explicit sub-architecture settings, as Go spells their values (`7,softfloat`, `v3`, `power9`...). */
export interface SubArchRequest {
  goarm?: string;
  goarm64?: string;
  goamd64?: string;
  go386?: string;
  gomips?: string;
  gomips64?: string;
  goppc64?: string;
  goriscv64?: string;
}

/** The request field for each Go variable. */
export const subArchFields: Record<keyof SubArchRequest, SubArchVariable> = {
  goarm: 'GOARM',
  goarm64: 'GOARM64',
  goamd64: 'GOAMD64',
  go386: 'GO386',
  gomips: 'GOMIPS',
  gomips64: 'GOMIPS64',
  goppc64: 'GOPPC64',
  goriscv64: 'GORISCV64',
};

/** What the sub-architecture means for the Go env, the canonical id and the C compiler. */
export interface SubArch {
  variable: SubArchVariable;
  /** Go's value, normalised (`7,hardfloat` -> `7`, `v8.2,lse` -> `v8.2`). */
  value: string;
  /** Part of the canonical id, absent when the value is Go's default (GOARM always appears). */
  idPart: string | undefined;
  cpu: ZigRanged<string>;
  /** The float calling convention, for the variables that pick one. */
  abiFloat: AbiFloat | undefined;
}

/** A parsed value; `base` is the part an OCI variant can also say (`7` of `7,softfloat`). */
type ParsedValue = Omit<SubArch, 'variable' | 'idPart'> & { base: string };

export function resolveSubArch(platform: Platform, request: SubArchRequest): SubArch | undefined {
  const variable = variableOf(platform.goarch);
  rejectForeignSettings(platform, variable, request);
  const fromVariant = platform.variant === undefined ? undefined : variantValue(platform, variable);
  if (variable === undefined) return undefined;
  const field = fieldOf(variable);
  const explicit = request[field];
  const data = targetsData().subArch[variable];
  const { base, ...parsed } = parseValue(platform, variable, explicit ?? fromVariant ?? data.default);
  // A variant may name a family that the setting refines: linux/arm64/v8 with GOARM64=v8.2 agrees.
  const agrees = base === fromVariant || base.startsWith(`${platform.variant}.`);
  if (explicit !== undefined && fromVariant !== undefined && !agrees) {
    throw new UsageError(
      `platform variant '${platform.variant}' means ${variable}=${fromVariant} but ${variable} is ${explicit}; drop one of them`,
    );
  }
  const shown = parsed.value !== data.default || data.alwaysInId === true;
  const idPart = shown ? `${data.idPrefix ?? ''}${parsed.value.replaceAll(',', '-')}` : undefined;
  return { variable, ...parsed, idPart };
}

export function variableOf(goarch: string): SubArchVariable | undefined {
  const table = targetsData().subArch;
  return (Object.keys(table) as SubArchVariable[]).find((name) => table[name].goarch.includes(goarch));
}

function fieldOf(variable: SubArchVariable): keyof SubArchRequest {
  return (Object.keys(subArchFields) as (keyof SubArchRequest)[]).find(
    (field) => subArchFields[field] === variable,
  )!;
}

/** A setting for another GOARCH (GOARM on amd64) is a mistake worth reporting, not ignoring. */
function rejectForeignSettings(
  platform: Platform,
  variable: SubArchVariable | undefined,
  request: SubArchRequest,
): void {
  const table = targetsData().subArch;
  for (const field of Object.keys(subArchFields) as (keyof SubArchRequest)[]) {
    const other = subArchFields[field];
    if (request[field] === undefined || other === variable) continue;
    const own =
      variable === undefined ? 'it has no sub-architecture variable' : `its variable is ${variable}`;
    throw new UsageError(
      `${other} is for GOARCH=${listAnd(table[other].goarch)}, but the target is ${platform.goos}/${platform.goarch} (${own}); drop ${other}`,
    );
  }
}

/** The value of the variable an OCI variant stands for (`linux/arm/v7` -> GOARM 7). */
function variantValue(platform: Platform, variable: SubArchVariable | undefined): string {
  const { goos, goarch, variant } = platform;
  const variants = variable === undefined ? undefined : targetsData().subArch[variable].ociVariants;
  if (variable === undefined || variants === undefined) {
    const instead = variable === undefined ? '' : ` and set ${variable} instead`;
    throw new UsageError(`${goos}/${goarch} has no platform variants; drop '/${variant}'${instead}`);
  }
  const value = variants[variant!];
  if (value !== undefined) return value;
  if (variable === 'GOARM' && variant === 'v8') {
    throw new UsageError(
      `${goos}/arm/v8 has no Go equivalent (GOARM stops at 7); use ${goos}/arm64, or ${goos}/arm/v7 for 32-bit code`,
    );
  }
  const names = Object.keys(variants);
  const suggestion = closest(variant!, names);
  const hint = suggestion === undefined ? '' : `; did you mean '${suggestion}'?`;
  throw new UsageError(
    `unknown variant '${variant}' in '${goos}/${goarch}/${variant}'; use ${listOr(names)}${hint}`,
  );
}

function parseValue(platform: Platform, variable: SubArchVariable, text: string): ParsedValue {
  const table = targetsData().subArch;
  switch (variable) {
    case 'GOARM':
      return parseGoarm(table.GOARM, text, platform.goos);
    case 'GOARM64':
      return parseGoarm64(table.GOARM64, text);
    default:
      return parsePlain(variable, table[variable], text);
  }
}

/** GOARM is 5, 6 or 7, optionally `,softfloat` or `,hardfloat` (internal/buildcfg goarm()). */
function parseGoarm(data: GoarmData, text: string, goos: string): ParsedValue {
  const match = /^(\d+)(?:,(soft|hard)float)?$/.exec(text);
  if (match?.[1] === '8') {
    throw new UsageError(`GOARM=8 does not exist: 64-bit ARM is GOARCH=arm64; use ${goos}/arm64`);
  }
  const version = match?.[1];
  const entry = version === undefined ? undefined : data.values[version];
  if (version === undefined || entry === undefined) {
    throw new UsageError(
      `invalid GOARM '${text}'; use ${listOr(Object.keys(data.values))}, optionally followed by ,softfloat or ,hardfloat`,
    );
  }
  const float = (match?.[2] as AbiFloat | undefined) ?? entry.defaultFloat;
  const suffix = float === entry.defaultFloat ? '' : `,${float}float`;
  const mapping = entry[float];
  return { base: version, value: `${version}${suffix}`, cpu: mapping.cpu, abiFloat: mapping.abiFloat };
}

/** GOARM64 is v8.0-v8.9 or v9.0-v9.5 with `,lse` and `,crypto` in any order (buildcfg ParseGoarm64). */
function parseGoarm64(data: Goarm64Data, text: string): ParsedValue {
  let version = text;
  const extensions = new Set<'lse' | 'crypto'>();
  for (let match = /,(lse|crypto)$/.exec(version); match !== null; match = /,(lse|crypto)$/.exec(version)) {
    extensions.add(match[1] as 'lse' | 'crypto');
    version = version.slice(0, match.index);
  }
  const entry = data.values[version];
  if (entry === undefined) {
    const versions = Object.keys(data.values);
    const suggestion = versions.includes(`${version}.0`) ? `${version}.0` : closest(version, versions);
    const hint = suggestion === undefined ? '' : `; did you mean '${suggestion}'?`;
    throw new UsageError(
      `invalid GOARM64 '${text}'; use v8.0-v8.9 or v9.0-v9.5, optionally followed by ,lse and/or ,crypto${hint}`,
    );
  }
  // LSE is part of every version from v8.1 on, so ',lse' only adds something to v8.0.
  if (version !== 'v8.0') extensions.delete('lse');
  const kept = (['lse', 'crypto'] as const).filter((name) => extensions.has(name));
  const features = kept.map((name) => data.extensions[name]).join('');
  return {
    base: version,
    value: [version, ...kept].join(','),
    cpu: appendToCpu(entry.cpu, features),
    abiFloat: undefined,
  };
}

function parsePlain(variable: SubArchVariable, data: PlainSubArchData, text: string): ParsedValue {
  const entry = data.values[text];
  if (entry === undefined) {
    const removed = data.removedValues?.[text];
    if (removed !== undefined) throw new UsageError(removed);
    const values = Object.keys(data.values);
    const suggestion = closest(text, values);
    const hint = suggestion === undefined ? '' : `; did you mean '${suggestion}'?`;
    throw new UsageError(`invalid ${variable} '${text}'; use ${listOr(values)}${hint}`);
  }
  return { base: text, value: text, cpu: entry.cpu, abiFloat: entry.abiFloat };
}

/** The values of a variable whose default float mode uses a calling convention (GOARM 6 and 7 -> hard). */
export function valuesWithAbiFloat(variable: SubArchVariable, float: AbiFloat): string[] {
  const table = targetsData().subArch;
  if (variable === 'GOARM') {
    const { values } = table.GOARM;
    return Object.keys(values).filter((key) => values[key]![values[key]!.defaultFloat].abiFloat === float);
  }
  const { values } = table[variable];
  return Object.keys(values).filter((key) => values[key]!.abiFloat === float);
}

function appendToCpu(cpu: ZigRanged<string>, features: string): ZigRanged<string> {
  if (features === '') return cpu;
  return Array.isArray(cpu)
    ? cpu.map((range) => ({ ...range, value: range.value + features }))
    : cpu + features;
}
