import {
  type BinaryFacts,
  compareDottedVersions,
  isMacosSystemLibrary,
  isWindowsSystemDll,
} from './facts.js';

/**
 * Facts turned into sentences a user can act on: will it run here, in a scratch image, on which CPU and
 * libc, was it built reproducibly, was cgo on. Pure: everything about the machine comes in as `Host`.
 */

/** The machine the verdicts are about. Only `os` and `arch` are required; the rest sharpen the answer. */
export interface Host {
  /** GOOS/GOARCH spelling: `linux`, `amd64`. */
  os: string;
  arch: string;
  /** Whether a path exists on the host (the dynamic loader check); omit when the host is not this machine. */
  hasFile?: (path: string) => boolean;
  /** binfmt_misc handlers registered on a Linux host (`qemu-aarch64`...). */
  emulators?: readonly string[];
  /** The host's glibc version (`2.36`); null or absent when it has none or it is unknown. */
  glibc?: string | null;
  /** The host CPU's x86-64 micro-architecture level, 1..4. */
  amd64Level?: number | null;
}

export type VerdictTopic =
  | 'kind'
  | 'host'
  | 'scratch'
  | 'libraries'
  | 'libc'
  | 'cpu'
  | 'float-abi'
  | 'os-version'
  | 'cgo'
  | 'reproducible'
  | 'symbols'
  | 'signature';

export interface Verdict {
  topic: VerdictTopic;
  /** true: good news; false: it will fail somewhere likely, or a check failed; null: a requirement or a fact. */
  ok: boolean | null;
  text: string;
}

export function judge(facts: BinaryFacts, host: Host): Verdict[] {
  if (facts.kind !== 'executable')
    return [kindVerdict(facts), ...cpuVerdicts(facts), ...buildVerdicts(facts)];
  return [
    hostVerdict(facts, host),
    ...deploymentVerdicts(facts),
    ...signatureVerdicts(facts),
    ...libcVerdicts(facts, host),
    ...cpuVerdicts(facts),
    ...buildVerdicts(facts),
  ];
}

function buildVerdicts(facts: BinaryFacts): Verdict[] {
  return [...cgoVerdicts(facts), ...reproducibleVerdicts(facts), symbolsVerdict(facts)];
}

function kindVerdict(facts: BinaryFacts): Verdict {
  const what =
    facts.kind === 'shared-library'
      ? 'a shared library'
      : facts.kind === 'object'
        ? 'an object file'
        : `a ${facts.kind} file`;
  return { topic: 'kind', ok: null, text: `${what}, not a program: it is not run directly` };
}

export function target(facts: BinaryFacts): string {
  return `${facts.os ?? 'unknown-os'}/${facts.arch ?? facts.machine}`;
}

/** qemu-user's name for each GOARCH (the binary is qemu-<name>, its binfmt_misc handler too). */
const QEMU_NAMES: Record<string, string> = {
  '386': 'i386',
  amd64: 'x86_64',
  arm: 'arm',
  arm64: 'aarch64',
  loong64: 'loongarch64',
  mips: 'mips',
  mipsle: 'mipsel',
  mips64: 'mips64',
  mips64le: 'mips64el',
  ppc64: 'ppc64',
  ppc64le: 'ppc64le',
  riscv64: 'riscv64',
  s390x: 's390x',
  sparc64: 'sparc64',
};

function hostVerdict(facts: BinaryFacts, host: Host): Verdict {
  const here = `${host.os}/${host.arch}`;
  const no = (reason: string): Verdict => ({
    topic: 'host',
    ok: false,
    text: `cannot run on this host (${here}): ${reason}`,
  });
  if (facts.os !== host.os) return no(`it is a ${target(facts)} binary; ${elsewhere(facts)}`);
  if (facts.arch !== host.arch) return foreignArchVerdict(facts, host, here, no);
  const missing = missingOnHost(facts, host);
  if (missing !== null) return no(missing);
  return { topic: 'host', ok: true, text: `runs on this host (${here}): yes` };
}

function elsewhere(facts: BinaryFacts): string {
  const qemu = facts.arch === null ? undefined : QEMU_NAMES[facts.arch];
  if (facts.os === 'windows') return 'run it under wine or on Windows';
  if (facts.os === 'darwin') return 'run it on a Mac';
  if (facts.os === 'linux')
    return `run it on Linux${qemu === undefined ? '' : ` (or under qemu-${qemu} on a Linux host)`}, e.g. in a container`;
  return `run it on ${facts.os ?? 'its own system'}`;
}

/** A binary for another architecture of the same OS: emulated, compatible, or not at all. */
function foreignArchVerdict(
  facts: BinaryFacts,
  host: Host,
  here: string,
  no: (reason: string) => Verdict,
): Verdict {
  const compatible = compatibleArch(facts, host);
  if (compatible !== null) return { topic: 'host', ok: compatible.ok, text: `${compatible.text} (${here})` };
  const qemu = facts.arch === null ? undefined : QEMU_NAMES[facts.arch];
  if (facts.os === 'linux' && qemu !== undefined && host.emulators?.includes(`qemu-${qemu}`)) {
    const libraries =
      facts.linkage === 'dynamic'
        ? `; it is dynamically linked, so qemu also needs the target's loader and libraries (QEMU_LD_PREFIX=<sysroot>)`
        : '';
    return {
      topic: 'host',
      ok: true,
      text: `runs on this host (${here}) through qemu-${qemu} (binfmt_misc)${libraries}`,
    };
  }
  const how =
    facts.os === 'linux' && qemu !== undefined
      ? `run it under qemu-${qemu} or on the target`
      : 'run it on the target';
  return no(`it is a ${target(facts)} binary; ${how}`);
}

/** Architectures a host runs natively or through its OS's own translation. */
function compatibleArch(facts: BinaryFacts, host: Host): { ok: boolean | null; text: string } | null {
  const pair = `${facts.arch}@${host.arch}`;
  if (pair === '386@amd64' && (host.os === 'linux' || host.os === 'windows')) {
    return { ok: true, text: 'runs on this host: yes, as a 32-bit x86 program on x86-64' };
  }
  if (pair === 'arm@arm64' && host.os === 'linux') {
    return {
      ok: null,
      text: 'may run on this host: only if the CPU executes 32-bit ARM code (many arm64 servers and Apple Silicon do not; else use qemu-arm)',
    };
  }
  if (pair === 'amd64@arm64' && host.os === 'darwin')
    return { ok: true, text: 'runs on this host under Rosetta 2 (once installed)' };
  if ((pair === 'amd64@arm64' || pair === '386@arm64') && host.os === 'windows') {
    return { ok: true, text: "runs on this host under Windows' x86 emulation" };
  }
  return null;
}

/** What this machine lacks for a binary of its own OS and architecture, in the words the failure shows. */
function missingOnHost(facts: BinaryFacts, host: Host): string | null {
  if (
    facts.interpreter !== null &&
    facts.format === 'elf' &&
    host.hasFile !== undefined &&
    !host.hasFile(facts.interpreter)
  ) {
    return `its loader ${facts.interpreter} does not exist here, so running it fails with "no such file or directory"${loaderHint(facts)}`;
  }
  if (
    facts.glibc !== null &&
    host.glibc != null &&
    compareDottedVersions(facts.glibc.version, host.glibc) > 0
  ) {
    return `it needs glibc >= ${facts.glibc.version} and this host has ${host.glibc}, so the loader fails with "version \`GLIBC_${facts.glibc.version}' not found"`;
  }
  if (cpuTooOld(facts, host)) {
    return `it needs an x86-64-v${amd64Level(facts)} CPU and this one is x86-64-v${host.amd64Level}; ${cpuFailure(facts)}`;
  }
  return null;
}

function cpuTooOld(facts: BinaryFacts, host: Host): boolean {
  const needed = amd64Level(facts);
  return needed !== null && facts.arch === host.arch && host.amd64Level != null && host.amd64Level < needed;
}

/** How a binary built for a newer CPU fails: Go's runtime and glibc's loader check first, C code just traps. */
function cpuFailure(facts: BinaryFacts): string {
  if (facts.go !== null) {
    return `it stops at startup with "This program can only be run on AMD64 processors with ${facts.cpuVariant} microarchitecture support."`;
  }
  if (facts.libc === 'glibc' && facts.linkage === 'dynamic')
    return 'the loader refuses it with "CPU ISA level is lower than required"';
  return 'it would crash with "illegal instruction"';
}

function loaderHint(facts: BinaryFacts): string {
  if (facts.libc === 'musl') return ' (a musl binary: run it on Alpine, or build it static)';
  if (facts.libc === 'glibc') return ' (a glibc binary: run it on a glibc distribution, or build it static)';
  return '';
}

/** Where the binary can be copied as it is: a scratch image, a bare Windows, a Mac without extra libraries. */
function deploymentVerdicts(facts: BinaryFacts): Verdict[] {
  if (facts.format === 'elf' && facts.os === 'linux') return [scratchVerdict(facts)];
  if (facts.format === 'pe')
    return [
      foreignLibraries(
        facts,
        isWindowsSystemDll,
        'Windows',
        'put them next to the .exe or link them statically',
      ),
    ];
  if (facts.format === 'macho')
    return [
      foreignLibraries(
        facts,
        isMacosSystemLibrary,
        'macOS',
        'ship them in the app bundle or link them statically',
      ),
    ];
  return [];
}

function scratchVerdict(facts: BinaryFacts): Verdict {
  const prefix = 'runs on scratch/distroless-static';
  if (facts.linkage !== 'dynamic') {
    const how = facts.linkage === 'static-pie' ? 'static-pie linked' : 'statically linked';
    return {
      topic: 'scratch',
      ok: true,
      text: `${prefix}: yes, because it is ${how} (no loader, no shared libraries)`,
    };
  }
  const needs = [
    facts.interpreter === null ? '' : `the loader ${facts.interpreter}`,
    facts.libraries.join(', '),
  ].filter((item) => item !== '');
  const fix =
    facts.go !== null && facts.libraries.length === 0
      ? 'drop -buildmode=pie or link it statically'
      : 'build with CGO_ENABLED=0, or link statically (musl), or use an image that has them';
  return {
    topic: 'scratch',
    ok: false,
    text: `${prefix}: no, because it needs ${needs.join(' and ')}, which those images do not have (the kernel reports "no such file or directory"); ${fix}`,
  };
}

function foreignLibraries(
  facts: BinaryFacts,
  isSystem: (name: string) => boolean,
  os: string,
  fix: string,
): Verdict {
  const foreign = facts.libraries.filter((name) => !isSystem(name));
  if (foreign.length === 0) {
    return {
      topic: 'libraries',
      ok: true,
      text: `self-contained: yes, it needs only libraries that ship with ${os}`,
    };
  }
  return {
    topic: 'libraries',
    ok: false,
    text: `self-contained: no, it needs ${foreign.join(', ')}, which ${os} does not ship; ${fix}`,
  };
}

/** What macOS checks before it runs a program: on Apple silicon, a code signature whose page hashes hold. */
function signatureVerdicts(facts: BinaryFacts): Verdict[] {
  if (facts.macho === null || facts.os !== 'darwin') return [];
  const signature = facts.macho.codeSignature;
  const verdict = (ok: boolean | null, text: string): Verdict[] => [{ topic: 'signature', ok, text }];
  if (signature === null) {
    return facts.arch === 'arm64'
      ? verdict(
          false,
          'code signature: none, so macOS on Apple silicon kills it at start; sign it ad hoc (codesign -s - FILE)',
        )
      : verdict(null, 'code signature: none (Intel Macs run unsigned programs)');
  }
  if (!signature.valid) {
    return verdict(
      false,
      'code signature: INVALID, its page hashes do not match the file (changed after signing?), so macOS kills it at start; sign it again',
    );
  }
  const kind = signature.adhoc ? 'ad hoc' : 'with a certificate (not checked here)';
  return verdict(
    true,
    `code signature: valid, signed ${kind} (to pass Gatekeeper when downloaded, it also needs a Developer ID signature and notarization)`,
  );
}

function libcVerdicts(facts: BinaryFacts, host: Host): Verdict[] {
  if (facts.glibc !== null) {
    const shown = facts.glibc.symbols.slice(0, 3).join(', ');
    const more = facts.glibc.symbols.length > 3 ? ` and ${facts.glibc.symbols.length - 3} more` : '';
    const why = shown === '' ? '' : ` (for ${shown}${more})`;
    const here =
      host.glibc != null && facts.os === host.os && facts.arch === host.arch
        ? `; this host has ${host.glibc}`
        : '';
    return [{ topic: 'libc', ok: null, text: `needs glibc >= ${facts.glibc.version}${why}${here}` }];
  }
  if (facts.libc === 'musl' && facts.interpreter !== null) {
    return [
      {
        topic: 'libc',
        ok: null,
        text: `needs musl's loader ${facts.interpreter}: runs on Alpine and other musl systems, not on glibc distributions`,
      },
    ];
  }
  if (facts.libc === 'musl' && facts.linkage !== 'dynamic') {
    return [{ topic: 'libc', ok: null, text: 'musl is linked in: needs no C library on the target' }];
  }
  if (facts.libc === 'glibc' && facts.linkage !== 'dynamic') {
    return [
      {
        topic: 'libc',
        ok: null,
        text: "glibc is linked in, but its NSS functions (getaddrinfo, getpwnam...) still load the target's glibc libraries at run time",
      },
    ];
  }
  return [];
}

/** Go's sub-architecture settings in words: what CPU the code was compiled for. */
function cpuVerdicts(facts: BinaryFacts): Verdict[] {
  const verdicts: Verdict[] = [];
  const cpu = cpuRequirement(facts);
  if (cpu !== null) verdicts.push({ topic: 'cpu', ok: null, text: cpu });
  const floatAbi = facts.arm?.floatAbi;
  if (floatAbi != null) verdicts.push({ topic: 'float-abi', ok: null, text: floatAbiText(floatAbi, facts) });
  const os = osVersionText(facts);
  if (os !== null) verdicts.push({ topic: 'os-version', ok: null, text: os });
  return verdicts;
}

export function amd64Level(facts: BinaryFacts): number | null {
  if (facts.arch !== 'amd64' || facts.cpuVariant === null) return null;
  const match = /^v([1-4])$/.exec(facts.cpuVariant);
  return match === null ? null : Number(match[1]);
}

const AMD64_LEVELS: Record<string, string> = {
  v1: 'runs on any x86-64 CPU',
  v2: 'needs an x86-64-v2 CPU (SSE4.2, POPCNT: Intel Nehalem, AMD Bulldozer or newer)',
  v3: 'needs an x86-64-v3 CPU (AVX2, BMI2, FMA: Intel Haswell, AMD Excavator or newer)',
  v4: 'needs an x86-64-v4 CPU (AVX-512)',
};

const ARM_LEVELS: Record<string, string> = {
  v5: 'runs on any ARMv5 or newer CPU',
  v6: 'needs an ARMv6 CPU',
  v7: 'needs an ARMv7 CPU',
  v8: 'needs an ARMv8 CPU',
};

function cpuRequirement(facts: BinaryFacts): string | null {
  const variant = facts.cpuVariant;
  if (variant === null) return null;
  const go = facts.go?.settings;
  const source = (name: string) =>
    go?.[name] === undefined
      ? `from ${facts.arch === 'arm' ? '.ARM.attributes' : '.note.gnu.property'}`
      : `${name}=${go[name]}`;
  switch (facts.arch) {
    case 'amd64':
      return AMD64_LEVELS[variant] === undefined ? null : `${AMD64_LEVELS[variant]} (${source('GOAMD64')})`;
    case 'arm':
      return ARM_LEVELS[variant] === undefined
        ? null
        : `${ARM_LEVELS[variant]}${armFloatPhrase(facts)} (${source('GOARM')})`;
    case 'arm64':
      return variant === 'v8.0' ? null : `needs an ARM ${variant} CPU (GOARM64=${go?.GOARM64 ?? variant})`;
    case '386':
      return variant === 'sse2'
        ? 'needs a CPU with SSE2: Pentium 4 or newer (GO386=sse2)'
        : 'runs on any x86 CPU (GO386=softfloat)';
    case 'ppc64':
    case 'ppc64le':
      return `needs an IBM ${variant.toUpperCase()} CPU or newer (GOPPC64=${variant})`;
    case 'riscv64':
      return variant === 'rva20u64'
        ? null
        : `needs a RISC-V CPU with the ${variant.toUpperCase()} profile (GORISCV64=${variant})`;
    case 'mips':
    case 'mipsle':
    case 'mips64':
    case 'mips64le': {
      const setting = `${facts.arch.startsWith('mips64') ? 'GOMIPS64' : 'GOMIPS'}=${variant}`;
      return variant === 'softfloat'
        ? `runs on MIPS CPUs without an FPU; floating point in software (${setting})`
        : `needs a MIPS CPU with an FPU (${setting})`;
    }
    default:
      return null;
  }
}

/** Go's GOARM says whether floating point runs on the FPU: 5 and `,softfloat` do it in software. */
function armFloatPhrase(facts: BinaryFacts): string {
  const goarm = facts.go?.settings.GOARM;
  if (goarm !== undefined) {
    return goarm === '5' || goarm.endsWith(',softfloat')
      ? '; floating point in software'
      : ' with hardware floating point (VFP)';
  }
  const fpu = facts.arm?.fpu;
  return fpu == null || fpu === 'none' ? '' : ` with an FPU (${fpu})`;
}

function floatAbiText(floatAbi: 'hard' | 'soft', facts: BinaryFacts): string {
  const eabi = facts.arm?.eabi == null ? '' : `, EABI${facts.arm.eabi}`;
  if (floatAbi === 'hard') {
    return `hard-float ABI (armhf${eabi}): floats pass in VFP registers; needs a CPU with VFP and, if dynamic, armhf libraries`;
  }
  return `soft-float ABI (armel${eabi}): floats pass in integer registers; links only with armel (soft-float) libraries`;
}

const WINDOWS_VERSIONS: Record<string, string> = {
  '6.0': 'Vista',
  '6.1': '7',
  '6.2': '8',
  '6.3': '8.1',
  '10.0': '10',
};

function osVersionText(facts: BinaryFacts): string | null {
  if (facts.minOsVersion === null) return null;
  if (facts.format === 'pe') {
    const name = WINDOWS_VERSIONS[facts.minOsVersion];
    return `needs Windows ${name ?? facts.minOsVersion} or newer (subsystem version ${facts.minOsVersion})`;
  }
  const os = facts.os === 'darwin' ? 'macOS' : (facts.os ?? 'the OS');
  return `needs ${os} ${facts.minOsVersion} or newer`;
}

function cgoVerdicts(facts: BinaryFacts): Verdict[] {
  const cgo = facts.go?.settings.CGO_ENABLED;
  if (cgo === '0') {
    return [
      {
        topic: 'cgo',
        ok: null,
        text:
          'cgo was disabled (CGO_ENABLED=0): no C code inside, net and os/user use their pure-Go versions, and ' +
          'packages that need C (e.g. mattn/go-sqlite3) fail at run time; if you meant to use C, build with ' +
          'CGO_ENABLED=1 and a C cross-compiler (CC) for the target',
      },
    ];
  }
  if (cgo !== '1') return [];
  const compiler = facts.compilers.find((line) => !line.startsWith('Linker:'));
  const by = compiler === undefined ? '' : `; C compiled by ${compiler}`;
  return [{ topic: 'cgo', ok: null, text: `cgo was enabled (CGO_ENABLED=1)${by}` }];
}

/**
 * What xcc counts as reproducible: `-trimpath` (without it the binary embeds the build machine's paths,
 * so no other machine rebuilds the same bytes) and a clean VCS tree (vcs.modified=true means no commit
 * reproduces it). `-buildvcs=false` and `-buildid=` are not required: the VCS stamp and Go's build ID are
 * derived from the inputs, so they come out the same in every rebuild of the same commit.
 */
export function reproducibilityProblems(facts: BinaryFacts): string[] | null {
  const settings = facts.go?.settings;
  if (settings === undefined) return null;
  const problems: string[] = [];
  if (settings['-trimpath'] !== 'true')
    problems.push("missing -trimpath (it embeds this machine's source and module paths)");
  if (settings['vcs.modified'] === 'true')
    problems.push('built from a modified working tree (vcs.modified=true)');
  return problems;
}

function reproducibleVerdicts(facts: BinaryFacts): Verdict[] {
  const problems = reproducibilityProblems(facts);
  if (problems === null) return [];
  const cgo =
    facts.go?.settings.CGO_ENABLED === '1'
      ? '; with cgo the bytes also depend on the C compiler, which Go does not record'
      : '';
  if (problems.length > 0)
    return [
      {
        topic: 'reproducible',
        ok: false,
        text: `reproducible build flags: no, ${problems.join('; ')}${cgo}`,
      },
    ];
  const revision = facts.go?.settings['vcs.revision'];
  const stamp = revision === undefined ? '' : `, clean tree at ${revision.slice(0, 12)}`;
  return [
    { topic: 'reproducible', ok: true, text: `reproducible build flags: yes (-trimpath${stamp})${cgo}` },
  ];
}

function symbolsVerdict(facts: BinaryFacts): Verdict {
  const parts = [facts.stripped ? 'stripped (no symbol table)' : 'not stripped (symbol table present)'];
  parts.push(facts.debugInfo ? 'with DWARF debug info' : 'no DWARF');
  if (facts.go !== null)
    parts.push(facts.go.buildId === null ? 'Go build ID cleared (-buildid=)' : 'Go build ID present');
  const hint = !facts.stripped || facts.debugInfo ? "; -ldflags='-s -w' makes it smaller" : '';
  return { topic: 'symbols', ok: null, text: `${parts.join(', ')}${facts.go !== null ? hint : ''}` };
}
