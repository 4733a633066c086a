import { XccError } from '../../errors.js';

/**
 * An archive that xcc will not extract: unsafe or corrupt content. `entry` names the offending member
 * (undefined when the whole archive is at fault, e.g. truncated xz data). The installer treats it like a
 * failed download: it deletes the temporary directory and tries the next source.
 */
export class ArchiveError extends XccError {
  override name = 'ArchiveError';
  readonly entry: string | undefined;

  constructor(message: string, options: { entry?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.entry = options.entry;
  }
}

/** The one-line error for a refused member; the name is JSON-quoted so control characters stay visible. */
export function refuse(entry: string, reason: string): ArchiveError {
  return new ArchiveError(
    `Refused archive entry ${JSON.stringify(entry)}: ${reason} (corrupt or malicious archive)`,
    { entry },
  );
}

/**
 * Which members of an archive make up the install, and where they go.
 * - `strip`: every member must lie under this single top-level directory, which is removed
 *   (official Zig archives: `zig-x86_64-linux-0.15.2/`). Anything else is an error.
 * - `select`: only members under this directory are extracted, with the directory removed; the others
 *   are skipped (PyPI wheels: `ziglang/`, beside `ziglang-0.15.2.dist-info/`).
 * - `none`: members are extracted as they are.
 */
export type RootRule = { kind: 'strip'; name: string } | { kind: 'select'; name: string } | { kind: 'none' };

/** Whose name is checked, for the error: a member's own path, or the target of a member's hard link. */
export interface NameSubject {
  entry: string;
  subject: string;
}

/**
 * Splits a member name into path segments, refusing anything that could leave the target directory on
 * any host OS. `\` counts as a separator everywhere: on Windows it is one, so `a\..\..\x` must be refused
 * whatever the host that extracts it.
 */
export function nameSegments(
  name: string,
  { entry, subject }: NameSubject = { entry: name, subject: 'path' },
): string[] {
  if (name.includes('\0')) throw refuse(entry, `the ${subject} contains a NUL byte`);
  const normalized = name.replaceAll('\\', '/');
  if (normalized.startsWith('/')) throw refuse(entry, `absolute ${subject}`);
  if (/^[A-Za-z]:/.test(normalized)) throw refuse(entry, `absolute ${subject} (Windows drive)`);
  const segments = normalized.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw refuse(entry, `the ${subject} contains '..'`);
  // Windows drops trailing dots and spaces from names, so `.. ` or `...` could mean `..` there.
  if (segments.some((segment) => /[. ]$/.test(segment))) {
    throw refuse(entry, `a name in the ${subject} ends with '.' or ' '`);
  }
  // On Windows `a:b` names an NTFS alternate data stream (or a drive, as the first segment).
  if (segments.some((segment) => segment.includes(':'))) throw refuse(entry, `the ${subject} contains ':'`);
  return segments;
}

/**
 * The install-relative segments of a member, or undefined when the rule skips it. An empty array is
 * the top-level directory itself.
 */
export function memberSegments(name: string, rule: RootRule, subject?: NameSubject): string[] | undefined {
  const segments = nameSegments(name, subject);
  if (rule.kind === 'none') return segments;
  if (segments[0] === rule.name) return segments.slice(1);
  if (rule.kind === 'select') return undefined;
  const what = subject ? `the ${subject.subject} ${JSON.stringify(name)}` : 'it';
  throw refuse(
    subject?.entry ?? name,
    `${what} is outside the expected top-level directory ${JSON.stringify(rule.name)}`,
  );
}

/** Where a symlink points, relative to the install directory, and the paths the OS walks through on the way. */
export interface SymlinkTarget {
  segments: string[];
  /** Every intermediate path that must be resolved before the next segment (including before a `..`). */
  traversed: string[][];
}

/**
 * Resolves a symlink target against the directory of the link, without touching the file system, and
 * throws when it leaves the install directory. Lexical resolution is only right if no traversed path is
 * itself a symlink (`s -> ..` then `t -> s/..` escapes); `ExtractTarget` checks that once all links are known.
 */
export function resolveSymlinkTarget(entry: string, link: readonly string[], target: string): SymlinkTarget {
  if (target === '') throw refuse(entry, 'the symlink has an empty target');
  if (target.includes('\0')) throw refuse(entry, 'the symlink target contains a NUL byte');
  const normalized = target.replaceAll('\\', '/');
  if (normalized.startsWith('/') || /^[A-Za-z]:/.test(normalized)) {
    throw refuse(entry, `the symlink points to the absolute path ${JSON.stringify(target)}`);
  }
  const steps = normalized.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (steps.some((step) => step !== '..' && /[. ]$/.test(step))) {
    throw refuse(entry, `a name in the symlink target ${JSON.stringify(target)} ends with '.' or ' '`);
  }
  const segments = link.slice(0, -1);
  const traversed: string[][] = [];
  for (const [index, step] of steps.entries()) {
    if (step === '..') {
      if (segments.length === 0) {
        throw refuse(entry, `the symlink target ${JSON.stringify(target)} leaves the install directory`);
      }
      segments.pop();
    } else {
      segments.push(step);
      if (index < steps.length - 1) traversed.push([...segments]);
    }
  }
  return { segments, traversed };
}
