import { FormatError } from './bytes.js';
import {
  armEabiVersion,
  armFloatAbi,
  type ElfInfo,
  elfImage,
  elfKind,
  elfLinkage,
  hasSection,
  isElf,
  readElf,
  x86IsaLevel,
} from './elf.js';
import { BUILD_ID_SEARCH_SIZE, findRawGoBuildId, type GoBuildInfo, readGoBuildInfo } from './go.js';
import {
  type CodeSignature,
  isFat,
  isMacho,
  type MachoInfo,
  machoImage,
  machoTextStart,
  readCodeSignature,
  readFatArches,
  readMacho,
} from './macho.js';
import { type MachoImport, readMachoImports } from './macho-imports.js';
import { isPe, type PeInfo, peImage, peKind, peTextStart, readPe } from './pe.js';

/**
 * What one executable image is, in words shared by all three formats. This is the `--json` shape
 * (documented in docs/inspect.md); add fields, never rename or repurpose one.
 */
export interface BinaryFacts {
  format: 'elf' | 'pe' | 'macho';
  kind: 'executable' | 'shared-library' | 'object' | 'core' | 'other';
  /** Go's GOOS spelling (`linux`, `windows`, `darwin`, `freebsd`, `android`, `ios`...); null if unknown. */
  os: string | null;
  /** Go's GOARCH spelling (`amd64`, `arm64`, `arm`, `386`, `riscv64`...); null for machines Go has no port for. */
  arch: string | null;
  /** The format's own name for the machine (`x86-64`, `ARM aarch64`, `IBM S/390`). */
  machine: string;
  bits: 32 | 64;
  endian: 'little' | 'big';
  /**
   * `static`: needs nothing beyond the OS itself (ELF: no loader and no shared library; PE: only DLLs
   * that ship with Windows; Mach-O: only /usr/lib and /System libraries). `static-pie`: ELF, static
   * and position-independent. `dynamic`: anything else.
   */
  linkage: 'static' | 'static-pie' | 'dynamic';
  /** ELF PT_INTERP (`/lib64/ld-linux-x86-64.so.2`) or Mach-O LC_LOAD_DYLINKER (`/usr/lib/dyld`). */
  interpreter: string | null;
  /** DT_NEEDED, imported DLLs, or linked dylibs, in file order. */
  libraries: string[];
  /** `glibc`, `musl`, `bionic`, `msvcrt`, `ucrt`, `libSystem`; null when no C library is linked or it cannot be told. */
  libc: string | null;
  /** The highest GLIBC_x.y symbol version needed and the symbols that need it (empty when the section headers are gone). */
  glibc: { version: string; symbols: string[] } | null;
  /** 32-bit ARM only: EABI version and float ABI from e_flags, CPU and FPU from .ARM.attributes. */
  arm: {
    eabi: number | null;
    floatAbi: 'hard' | 'soft' | null;
    cpuArch: string | null;
    fpu: string | null;
  } | null;
  /**
   * The CPU level needed, spelled like Go's sub-architecture variables: amd64 `v1`..`v4`, arm `v5`..`v7`,
   * arm64 `v8.0`.., 386 `sse2`/`softfloat`... From the Go build settings, else from ELF notes or ARM attributes.
   */
  cpuVariant: string | null;
  /** Mach-O deployment target (`11.0`), PE subsystem version (`6.1`); null for ELF. */
  minOsVersion: string | null;
  /** No symbol table (ELF .symtab, COFF symbols, Mach-O local symbols). */
  stripped: boolean;
  /** DWARF sections present (.debug_*, .zdebug_*, __DWARF). */
  debugInfo: boolean;
  /** Compilers and linkers named in the ELF `.comment` section. */
  compilers: string[];
  go: GoFacts | null;
  /** Mach-O only: what dyld and the kernel look at when a Mac starts the program. */
  macho: MachoFacts | null;
}

export interface MachoFacts {
  /** Started by dyld through LC_MAIN (Go's internal linker writes LC_UNIXTHREAD for amd64 instead). */
  hasMain: boolean;
  /** null: not signed (arm64 macOS refuses to run it); see CodeSignature. */
  codeSignature: CodeSignature | null;
  /** Every symbol imported from a dylib, with that dylib's install path (LC_DYLD_INFO binds, chained fixups). */
  imports: MachoImport[];
}

export interface GoFacts extends GoBuildInfo {
  /** Go's build ID; null when absent, i.e. cleared with `-ldflags=-buildid=`. */
  buildId: string | null;
}

/** Every image in a file: one, or one per architecture of a universal (fat) Mach-O file. */
export function inspectBytes(bytes: Uint8Array): BinaryFacts[] {
  if (isElf(bytes)) return [elfFacts(bytes, readElf(bytes))];
  if (isMacho(bytes)) return [machoFacts(bytes, readMacho(bytes))];
  if (isFat(bytes)) {
    return readFatArches(bytes).map((arch) => {
      const slice = bytes.subarray(arch.offset, arch.offset + arch.size);
      if (!isMacho(slice)) throw new FormatError('a universal binary slice is not a Mach-O image');
      return machoFacts(slice, readMacho(slice));
    });
  }
  if (isPe(bytes)) return [peFacts(bytes, readPe(bytes))];
  throw new FormatError('not an executable: no ELF, PE or Mach-O header');
}

interface Machine {
  name: string;
  arch: (bits: 32 | 64, endian: 'little' | 'big') => string | null;
}

const fixed = (name: string, arch: string | null): Machine => ({ name, arch: () => arch });

/** ELF e_machine → names; the GOARCH may depend on class and byte order (mips, ppc64, riscv). */
const ELF_MACHINES: Record<number, Machine> = {
  2: fixed('SPARC', null),
  3: fixed('Intel 80386', '386'),
  8: {
    name: 'MIPS',
    arch: (bits, endian) => `mips${bits === 64 ? '64' : ''}${endian === 'little' ? 'le' : ''}`,
  },
  20: fixed('PowerPC', null),
  21: { name: '64-bit PowerPC', arch: (_bits, endian) => (endian === 'little' ? 'ppc64le' : 'ppc64') },
  22: { name: 'IBM S/390', arch: (bits) => (bits === 64 ? 's390x' : null) },
  40: fixed('ARM', 'arm'),
  43: fixed('SPARC V9', 'sparc64'),
  62: fixed('x86-64', 'amd64'),
  183: fixed('ARM aarch64', 'arm64'),
  243: { name: 'RISC-V', arch: (bits) => (bits === 64 ? 'riscv64' : null) },
  258: { name: 'LoongArch', arch: (bits) => (bits === 64 ? 'loong64' : null) },
};

const PE_MACHINES: Record<number, Machine> = {
  332: fixed('Intel 80386', '386'),
  34404: fixed('x86-64', 'amd64'),
  448: fixed('ARM', 'arm'),
  452: fixed('ARM Thumb-2', 'arm'),
  43620: fixed('ARM64', 'arm64'),
  20580: fixed('RISC-V 64', 'riscv64'),
};

const CPU_ARCH_ABI64 = 0x01000000;
const MACHO_CPUS: Record<number, Machine> = {
  7: fixed('i386', '386'),
  [7 | CPU_ARCH_ABI64]: fixed('x86_64', 'amd64'),
  12: fixed('arm', 'arm'),
  [12 | CPU_ARCH_ABI64]: fixed('arm64', 'arm64'),
  [12 | 0x02000000]: fixed('arm64_32', null),
  18: fixed('ppc', null),
  [18 | CPU_ARCH_ABI64]: fixed('ppc64', null),
};

/** Apple's name for a Mach-O CPU type (`x86_64`, `arm64`), as lipo and `file` print it. */
export function machoCpuName(cputype: number): string {
  return MACHO_CPUS[cputype]?.name ?? `cputype 0x${cputype.toString(16)}`;
}

function machine(table: Record<number, Machine>, code: number, bits: 32 | 64, endian: 'little' | 'big') {
  const known = table[code];
  return known === undefined
    ? { machine: `machine 0x${code.toString(16)}`, arch: null }
    : { machine: known.name, arch: known.arch(bits, endian) };
}

function elfFacts(bytes: Uint8Array, info: ElfInfo): BinaryFacts {
  const go = goFacts(readGoBuildInfo(elfImage(bytes, info)), elfGoBuildId(info));
  const { machine: name, arch } = machine(ELF_MACHINES, info.machine, info.bits, info.endian);
  const libc = elfLibc(info, go);
  return {
    format: 'elf',
    kind: elfKind(info),
    os: go?.settings.GOOS ?? elfOs(info),
    arch: go?.settings.GOARCH ?? arch,
    machine: name,
    bits: info.bits,
    endian: info.endian,
    linkage: elfLinkage(info),
    interpreter: info.interpreter,
    libraries: info.needed,
    libc,
    glibc: libc === 'glibc' ? glibcNeeded(info) : null,
    arm: info.machine === 40 ? armFacts(info) : null,
    cpuVariant: goCpuVariant(go) ?? elfCpuVariant(info),
    minOsVersion: null,
    stripped: !hasSection(info, (name) => name === '.symtab'),
    debugInfo: hasSection(info, (name) => /^\.z?debug_/.test(name)),
    compilers: info.comment,
    go,
    macho: null,
  };
}

function elfGoBuildId(info: ElfInfo): string | null {
  const note = info.notes.find((candidate) => candidate.name === 'Go' && candidate.type === 4);
  if (note === undefined) return null;
  const id = Buffer.from(note.desc).toString('latin1');
  return id === '' ? null : id;
}

/** ELF OS/ABI values (gABI) and the notes BSDs and Android stamp their binaries with. */
const ELF_OSABI: Record<number, string> = {
  2: 'netbsd',
  3: 'linux',
  6: 'solaris',
  9: 'freebsd',
  12: 'openbsd',
};
const ELF_OS_NOTES: Record<string, string> = {
  FreeBSD: 'freebsd',
  NetBSD: 'netbsd',
  OpenBSD: 'openbsd',
  Android: 'android',
};
const INTERPRETER_OS: [RegExp, string][] = [
  [/^\/libexec\/ld-elf\.so/, 'freebsd'],
  [/^\/usr\/libexec\/ld\.so/, 'openbsd'],
  [/^\/usr\/libexec\/ld\.elf_so/, 'netbsd'],
  [/^\/system\/bin\/linker/, 'android'],
];

function elfOs(info: ElfInfo): string {
  for (const note of info.notes) {
    const os = ELF_OS_NOTES[note.name];
    if (os !== undefined) return os;
  }
  const fromInterpreter = INTERPRETER_OS.find(([pattern]) => pattern.test(info.interpreter ?? ''));
  if (fromInterpreter !== undefined) return fromInterpreter[1];
  // Linux binaries say "System V" (0) as often as "GNU/Linux" (3): without another mark, it is Linux.
  return ELF_OSABI[info.osabi] ?? 'linux';
}

function elfLibc(info: ElfInfo, go: GoFacts | null): string | null {
  const interpreter = info.interpreter ?? '';
  if (/ld-musl-/.test(interpreter) || info.needed.some((name) => /^libc\.musl-/.test(name))) return 'musl';
  if (/^\/system\/bin\/linker/.test(interpreter)) return 'bionic';
  if (
    info.needed.includes('libc.so.6') ||
    info.versionNeeds.some((need) => need.versions.some((v) => /^GLIBC_/.test(v.name)))
  ) {
    return 'glibc';
  }
  if (info.interpreter !== null || info.needed.length > 0) return null;
  // Static: glibc's crt1.o carries the .note.ABI-tag ("GNU", type 1); musl and Go's own runtime do not.
  if (info.notes.some((note) => note.name === 'GNU' && note.type === 1)) return 'glibc';
  if (go !== null && go.settings.CGO_ENABLED === '1' && info.comment.length > 0) return 'musl';
  return null;
}

function glibcNeeded(info: ElfInfo): { version: string; symbols: string[] } | null {
  const versions = info.versionNeeds.flatMap((need) => need.versions.map((version) => version.name));
  const numbered = versions.filter((name) => /^GLIBC_\d+(\.\d+)*$/.test(name));
  if (numbered.length === 0) return null;
  const highest = numbered.reduce((best, name) =>
    compareDottedVersions(name.slice(6), best.slice(6)) > 0 ? name : best,
  );
  const symbols = info.symbolVersions
    .filter((entry) => entry.version === highest)
    .map((entry) => entry.symbol);
  return { version: highest.slice(6), symbols: [...new Set(symbols)].sort() };
}

/**
 * Orders dotted numeric versions of any length, as glibc (`2.28`, `2.3.4`) and Go (`1.22`) number them;
 * a missing part counts as 0. Not Semantic Versioning: zig versions go through compareVersions in
 * src/resolve/version-order.ts.
 */
export function compareDottedVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** Tag_CPU_arch and Tag_FP_arch names (ARM "Addenda to, and Errata in, the ABI for the ARM Architecture"). */
const ARM_CPU_ARCH = [
  'pre-v4',
  'v4',
  'v4T',
  'v5T',
  'v5TE',
  'v5TEJ',
  'v6',
  'v6KZ',
  'v6T2',
  'v6K',
  'v7',
  'v6-M',
  'v6S-M',
  'v7E-M',
  'v8',
];
const ARM_FP_ARCH = [
  'none',
  'VFPv1',
  'VFPv2',
  'VFPv3',
  'VFPv3-D16',
  'VFPv4',
  'VFPv4-D16',
  'FP for ARMv8',
  'FPv5/FP-D16 for ARMv8',
];

function armFacts(info: ElfInfo): NonNullable<BinaryFacts['arm']> {
  const attributes = info.armAttributes;
  const vfpArgs = attributes?.vfpArgs;
  const fromAttributes = vfpArgs === 1 ? 'hard' : vfpArgs === 0 ? 'soft' : null;
  return {
    eabi: armEabiVersion(info.flags),
    floatAbi: armFloatAbi(info.flags) ?? fromAttributes ?? armFloatAbiFromLoader(info.interpreter),
    cpuArch:
      attributes?.cpuArch == null ? null : (ARM_CPU_ARCH[attributes.cpuArch] ?? `arch ${attributes.cpuArch}`),
    fpu:
      attributes?.fpArch == null ? null : (ARM_FP_ARCH[attributes.fpArch] ?? `FP arch ${attributes.fpArch}`),
  };
}

/** The loader's name says the float ABI of a dynamic ARM binary: ld-linux-armhf.so.3 vs ld-linux.so.3. */
function armFloatAbiFromLoader(interpreter: string | null): 'hard' | 'soft' | null {
  if (interpreter === null) return null;
  if (/armhf/.test(interpreter)) return 'hard';
  return /ld-linux\.so\.3|ld-musl-arm\.so/.test(interpreter) ? 'soft' : null;
}

function elfCpuVariant(info: ElfInfo): string | null {
  if (info.machine === 62) {
    const level = x86IsaLevel(info);
    return level === null ? null : `v${level}`;
  }
  const cpuArch = info.armAttributes?.cpuArch;
  if (info.machine !== 40 || cpuArch == null) return null;
  // Tag_CPU_arch 1..5 are ARMv4..v5 cores (GOARM=5), 6..9 ARMv6 (GOARM=6), 10 and up ARMv7 or later.
  if (cpuArch >= 10) return cpuArch === 14 ? 'v8' : 'v7';
  return cpuArch >= 6 ? 'v6' : 'v5';
}

/** The Go sub-architecture setting of each GOARCH; GOARM gets the OCI-style `v` prefix (`v7`). */
const GO_CPU_SETTINGS: Record<string, string> = {
  amd64: 'GOAMD64',
  arm: 'GOARM',
  arm64: 'GOARM64',
  '386': 'GO386',
  ppc64: 'GOPPC64',
  ppc64le: 'GOPPC64',
  riscv64: 'GORISCV64',
  mips: 'GOMIPS',
  mipsle: 'GOMIPS',
  mips64: 'GOMIPS64',
  mips64le: 'GOMIPS64',
};

function goCpuVariant(go: GoFacts | null): string | null {
  const arch = go?.settings.GOARCH;
  const setting = arch === undefined ? undefined : GO_CPU_SETTINGS[arch];
  const value = setting === undefined ? undefined : go?.settings[setting];
  if (value === undefined || value === '') return null;
  // GOARM=7,softfloat and GOARM64=v8.1,lse carry options after a comma; the variant is the first part.
  const level = value.split(',')[0]!;
  return arch === 'arm' ? `v${level}` : level;
}

function goFacts(info: GoBuildInfo | null, buildId: string | null): GoFacts | null {
  return info === null ? null : { ...info, buildId };
}

/** DLLs every Windows installation ships; anything else has to travel with the .exe. */
const WINDOWS_SYSTEM_DLLS = new Set(
  [
    'advapi32',
    'bcrypt',
    'bcryptprimitives',
    'cfgmgr32',
    'comctl32',
    'comdlg32',
    'crypt32',
    'd3d11',
    'dbghelp',
    'dnsapi',
    'dwmapi',
    'dxgi',
    'gdi32',
    'imm32',
    'iphlpapi',
    'kernel32',
    'kernelbase',
    'msvcrt',
    'mswsock',
    'ncrypt',
    'netapi32',
    'ntdll',
    'ole32',
    'oleaut32',
    'opengl32',
    'powrprof',
    'psapi',
    'rpcrt4',
    'secur32',
    'setupapi',
    'shell32',
    'shlwapi',
    'ucrtbase',
    'user32',
    'userenv',
    'uxtheme',
    'version',
    'winhttp',
    'wininet',
    'winmm',
    'ws2_32',
    'wsock32',
    'wtsapi32',
  ].map((name) => `${name}.dll`),
);

export function isWindowsSystemDll(name: string): boolean {
  const lower = name.toLowerCase();
  // API sets (api-ms-win-crt-*, the UCRT) are resolved by the loader to system DLLs.
  return WINDOWS_SYSTEM_DLLS.has(lower) || /^(api|ext)-ms-win-/.test(lower);
}

function peFacts(bytes: Uint8Array, info: PeInfo): BinaryFacts {
  const buildId =
    findRawGoBuildId(bytes.subarray(0, BUILD_ID_SEARCH_SIZE)) ??
    findRawGoBuildId(peTextStart(bytes, info, BUILD_ID_SEARCH_SIZE));
  const go = goFacts(readGoBuildInfo(peImage(bytes, info)), buildId);
  const { machine: name, arch } = machine(PE_MACHINES, info.machine, info.bits, 'little');
  const lower = info.imports.map((dll) => dll.toLowerCase());
  return {
    format: 'pe',
    kind: peKind(info),
    os: go?.settings.GOOS ?? 'windows',
    arch: go?.settings.GOARCH ?? arch,
    machine: name,
    bits: info.bits,
    endian: 'little',
    linkage: info.imports.every(isWindowsSystemDll) ? 'static' : 'dynamic',
    interpreter: null,
    libraries: info.imports,
    libc: lower.some((dll) => dll === 'ucrtbase.dll' || dll.startsWith('api-ms-win-crt-'))
      ? 'ucrt'
      : lower.includes('msvcrt.dll')
        ? 'msvcrt'
        : null,
    glibc: null,
    arm: null,
    cpuVariant: goCpuVariant(go),
    minOsVersion: info.subsystemVersion,
    stripped: info.symbolCount === 0,
    debugInfo: info.sections.some((section) => /^\.z?debug_/.test(section.name)),
    compilers: [],
    go,
    macho: null,
  };
}

/** Apple platform numbers of LC_BUILD_VERSION, as Go names them (GOOS=ios covers the simulator and Catalyst). */
const MACHO_PLATFORMS: Record<number, string> = {
  1: 'darwin',
  2: 'ios',
  3: 'tvos',
  4: 'watchos',
  6: 'ios',
  7: 'ios',
  8: 'tvos',
  9: 'watchos',
  11: 'visionos',
  12: 'visionos',
};

export function isMacosSystemLibrary(path: string): boolean {
  return path.startsWith('/usr/lib/') || path.startsWith('/System/Library/');
}

function machoFacts(bytes: Uint8Array, info: MachoInfo): BinaryFacts {
  const buildId =
    findRawGoBuildId(bytes.subarray(0, BUILD_ID_SEARCH_SIZE)) ??
    findRawGoBuildId(machoTextStart(bytes, info, BUILD_ID_SEARCH_SIZE));
  const go = goFacts(readGoBuildInfo(machoImage(bytes, info)), buildId);
  const { machine: name, arch } = machine(MACHO_CPUS, info.cputype, info.bits, info.endian);
  return {
    format: 'macho',
    kind: MACHO_KINDS[info.filetype] ?? 'other',
    os: go?.settings.GOOS ?? MACHO_PLATFORMS[info.platform ?? 1] ?? 'darwin',
    arch: go?.settings.GOARCH ?? arch,
    machine: name,
    bits: info.bits,
    endian: info.endian,
    linkage: info.dylibs.every(isMacosSystemLibrary) ? 'static' : 'dynamic',
    interpreter: info.dylinker,
    libraries: info.dylibs,
    libc: info.dylibs.some((path) => /\/libSystem\.B\.dylib$/.test(path)) ? 'libSystem' : null,
    glibc: null,
    arm: null,
    cpuVariant: goCpuVariant(go),
    minOsVersion: info.minOs,
    stripped: (info.localSymbolCount ?? info.symbolCount) === 0,
    debugInfo: info.segments.some((segment) => segment.name === '__DWARF'),
    compilers: [],
    go,
    macho: {
      hasMain: info.hasMain,
      codeSignature: readCodeSignature(bytes, info),
      imports: readMachoImports(bytes, info),
    },
  };
}

const MACHO_KINDS: Record<number, BinaryFacts['kind']> = {
  1: 'object',
  2: 'executable',
  4: 'core',
  6: 'shared-library',
  8: 'shared-library',
};
