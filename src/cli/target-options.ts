import type { Command } from 'cac';
import { UsageError } from '../errors.js';
import type { Env } from '../home.js';
import type { Libc, SubArchRequest, TargetRequest } from '../resolve/index.js';
import { defaultMacosSdk, type MacosHost } from '../toolchain/macos-sdk.js';
import { textValue } from './option-text.js';

/**
 * The options that choose a libc and a sub-architecture, defined once for every command that takes
 * a target (`xcc targets`, `env`, `exec`, `install`). Values are text (see option-text.ts): a glibc
 * version or GOARM value must reach the resolver exactly as typed.
 */
interface TargetOptionSpec {
  flags: string;
  description: string;
  text: boolean;
}

const libcOptions: Record<'musl' | 'glibc' | 'mingw', TargetOptionSpec> = {
  musl: { flags: '--musl', description: 'Link musl statically (default on Linux)', text: false },
  glibc: {
    flags: '--glibc [version]',
    description: 'Link glibc dynamically; VERSION is the oldest glibc to run on (default 2.28)',
    text: true,
  },
  mingw: { flags: '--mingw', description: 'Link mingw-w64 (default on Windows)', text: false },
};

const subArchOptions: Record<keyof SubArchRequest, TargetOptionSpec> = {
  goarm: {
    flags: '--goarm <value>',
    description: 'GOARM: 5, 6 or 7, optionally ,softfloat or ,hardfloat',
    text: true,
  },
  goarm64: {
    flags: '--goarm64 <value>',
    description: 'GOARM64: v8.0-v8.9 or v9.0-v9.5, optionally ,lse and/or ,crypto',
    text: true,
  },
  goamd64: { flags: '--goamd64 <value>', description: 'GOAMD64: v1, v2, v3 or v4', text: true },
  go386: { flags: '--go386 <value>', description: 'GO386: sse2 or softfloat', text: true },
  gomips: { flags: '--gomips <value>', description: 'GOMIPS: hardfloat or softfloat', text: true },
  gomips64: { flags: '--gomips64 <value>', description: 'GOMIPS64: hardfloat or softfloat', text: true },
  goppc64: { flags: '--goppc64 <value>', description: 'GOPPC64: power8, power9 or power10', text: true },
  goriscv64: {
    flags: '--goriscv64 <value>',
    description: 'GORISCV64: rva20u64, rva22u64 or rva23u64',
    text: true,
  },
};

const macosSdkOption: TargetOptionSpec = {
  flags: '--macos-sdk <path>',
  description: "macOS SDK for darwin targets (default: $SDKROOT, else xcrun's on a Mac)",
  text: true,
};

const sysrootOption: TargetOptionSpec = {
  flags: '--sysroot <dir>',
  description: "Linux targets: the target system's files (headers, libraries, pkg-config) to build against",
  text: true,
};

/** What cac hands a command for these options: text options arrive as arrays (one per use). */
export type TargetOptionValues = {
  musl?: boolean;
  mingw?: boolean;
  glibc?: string[];
  macosSdk?: string[];
  sysroot?: string[];
} & { [field in keyof SubArchRequest]?: string[] };

export function addTargetOptions(command: Command): Command {
  const specs = [
    ...Object.values(libcOptions),
    ...Object.values(subArchOptions),
    macosSdkOption,
    sysrootOption,
  ];
  for (const spec of specs) {
    command.option(spec.flags, spec.description, spec.text ? { type: [textValue] } : {});
  }
  return command;
}

/** The target options given on the command line (`--glibc`, `--goarm`...), by flag. */
export function givenTargetOptions(options: TargetOptionValues): string[] {
  const fields = [...Object.keys(libcOptions), ...Object.keys(subArchOptions), 'macosSdk'] as Array<
    keyof TargetOptionValues
  >;
  return fields
    .filter((field) => options[field] !== undefined && options[field] !== false)
    .map((field) => `--${field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`);
}

/** Turns a target argument and its options into a resolver request; conflicting flags are usage errors. */
export function targetRequest(
  target: string,
  options: TargetOptionValues,
  env: Env = process.env,
  host?: MacosHost,
): TargetRequest {
  const request: TargetRequest = { target, ...libcRequest(options) };
  for (const field of Object.keys(subArchOptions) as (keyof SubArchRequest)[]) {
    const value = singleValue(`--${field}`, options[field]);
    if (value !== undefined) request[field] = value;
  }
  // SDKROOT (and a Mac's own SDK) is a machine-wide setting: it only applies when the target is a darwin one.
  const macosSdk =
    singleValue('--macos-sdk', options.macosSdk) ??
    (target.startsWith('darwin/') ? defaultMacosSdk(env, host) : undefined);
  if (macosSdk !== undefined && macosSdk !== '') request.macosSdk = macosSdk;
  const sysroot = singleValue('--sysroot', options.sysroot);
  if (sysroot !== undefined) request.sysroot = sysroot;
  return request;
}

function libcRequest(options: TargetOptionValues): Pick<TargetRequest, 'libc' | 'glibcVersion'> {
  const chosen = (Object.keys(libcOptions) as Libc[]).filter((libc) => {
    const value = options[libc as keyof typeof libcOptions];
    return value !== undefined && value !== false;
  });
  if (chosen.length > 1) {
    throw new UsageError(`${chosen.map((libc) => `--${libc}`).join(' and ')} conflict; choose one libc`);
  }
  const libc = chosen[0];
  const glibcVersion = singleValue('--glibc', options.glibc, true);
  return {
    ...(libc === undefined ? {} : { libc }),
    ...(glibcVersion === undefined || glibcVersion === '' ? {} : { glibcVersion }),
  };
}

/**
 * The value of a text option given at most once: given twice (`--goarm 6 --goarm 7`) is a usage error
 * rather than last-wins, and so is an empty value unless the value is optional (`--glibc`).
 */
export function singleValue(
  flag: string,
  values: string[] | undefined,
  optional = false,
): string | undefined {
  if (values === undefined) return undefined;
  if (values.length > 1) {
    throw new UsageError(`${flag} was given ${values.length} times (${values.join(', ')}); give it once`);
  }
  const value = values[0]!;
  if (value === '' && !optional) throw new UsageError(`${flag} needs a value, e.g. ${flag}=VALUE`);
  return value;
}
