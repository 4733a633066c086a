import path from 'node:path';
import { projectRoot } from '../support/paths.js';
import type { Libc, Mode } from './matrix.js';

/**
 * test/.results/e2e.json: what the last run of the end-to-end suite proved, one entry per matrix row.
 * `scripts/support-table.ts` renders it as the support table of docs/support.md and sets the tiers in
 * toolchains/targets.json; nothing in that table is typed by hand.
 */
export const e2eResultsFile = path.join(projectRoot, 'test', '.results', 'e2e.json');

/**
 * - `pass`: built, headers checked, every program ran and printed what the C and C++ code computed;
 * - `built`: built and headers checked, but this host has no way to run it (the reason says why);
 * - `linked`: built, headers checked, and held against Go's own link of a program for the same target
 *   (darwin: dylibs, minimum OS, entry point, code signature), but this host cannot run it;
 * - `skip`: not built (a prerequisite is missing; the reason says which);
 * - `unsupported`: fails the known way the row's `knownFailure` describes (a toolchain limit; the reason says which);
 * - `fail`: something went wrong (the reason is the first failure).
 */
export type RowStatus = 'pass' | 'built' | 'linked' | 'skip' | 'unsupported' | 'fail';

export interface HeaderFacts {
  format: string;
  machine: string;
  os: string | null;
  arch: string | null;
  /** ELF EI_OSABI as `file` names it, e.g. `SYSV`, `GNU/Linux`, `FreeBSD`; null for PE and Mach-O. */
  osAbi: string | null;
  linkage: string;
  interpreter: string | null;
  libc: string | null;
  /** Highest GLIBC_x.y symbol version needed (glibc rows). */
  glibc: string | null;
  cpuVariant: string | null;
  floatAbi: string | null;
  /** `file -b` of the executable: the second opinion. */
  file: string;
}

export interface RowResult {
  id: string;
  target: string;
  flags: string[];
  port: string;
  libc: Libc;
  glibc: string | null;
  /** Whether the C++ part (libc++, exceptions, a static initializer) was built and run. */
  cxx: boolean;
  /** Modes built and checked (and run, when ranUnder is set). */
  modes: Mode[];
  /** `native`, `qemu-aarch64-static -L /usr/aarch64-linux-gnu`, `wine`; null when not run. */
  ranUnder: string | null;
  status: RowStatus;
  /** Why a row is not `pass`. */
  reason: string | null;
  /** The executable's header facts (mode `exe`); null when it was not built. */
  header: HeaderFacts | null;
  /** Wall seconds of this row's builds and runs (noisy: rows run in parallel with other work). */
  seconds: number;
}

export interface E2eResults {
  version: 1;
  zig: string;
  go: string;
  /** Whether zig's and Go's caches were empty when the run started. */
  coldCache: { zig: boolean; go: boolean };
  /** Wall seconds of the whole matrix, and CPU seconds of every process it started. */
  seconds: number;
  cpuSeconds: number;
  jobs: number;
  rows: RowResult[];
}
