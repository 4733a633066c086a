import { UsageError } from '../errors.js';
import type { Target } from '../resolve/index.js';

/**
 * What a release artifact is called. Every name is a function of its target alone (never of the other
 * targets in the build), so the shards of one release name their files exactly as one build of all of
 * them would, and a merge of the shards finds no two names for one target.
 *
 *   <name>-<goos>-<goarch>[-<variant>][.exe]
 *
 * The variant is what the target's id (`linux-arm-v7-glibc2.31`) says beyond GOOS and GOARCH, less the
 * OS's default C library: `v7` (GOARM), `v3` (GOAMD64), `glibc2.28`; a musl Linux or mingw Windows build
 * has none. Two targets of one build can only share such a name if they are the same target.
 */
export const DEFAULT_NAME_TEMPLATE = '{name}-{goos}-{goarch}{-variant}{ext}';

/** The placeholders a template may use, and what each becomes. */
const PLACEHOLDERS = ['name', 'goos', 'goarch', '-variant', 'variant', 'id', 'libc', 'ext'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * A file name as it may appear in `checksums.txt`, on any OS, from any input: no directories, nothing a
 * shell or `sha256sum -c` would read differently (sha256sum escapes names with a backslash or newline).
 */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;

export function isSafeFileName(name: string): boolean {
  return SAFE_NAME.test(name) && name.length <= 255;
}

/** The variant part of a target's names: its id after GOOS-GOARCH, without the OS's default libc. */
export function targetVariant(target: Target, defaultLibc: string): string {
  const prefix = `${target.goos}-${target.goarch}`;
  const parts = target.id.slice(prefix.length).split('-').filter(Boolean);
  return parts.filter((part) => part !== defaultLibc).join('-');
}

export function checkNameTemplate(template: string): void {
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)]
    .map((match) => match[1]!)
    .find((placeholder) => !(PLACEHOLDERS as readonly string[]).includes(placeholder));
  if (unknown !== undefined) {
    throw new UsageError(
      `--name-template has an unknown placeholder {${unknown}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
    );
  }
}

/** One artifact's file name from the template. */
export function artifactName(
  template: string,
  values: { name: string; target: Target; defaultLibc: string },
): string {
  const { name, target, defaultLibc } = values;
  const variant = targetVariant(target, defaultLibc);
  const fill: Record<Placeholder, string> = {
    name,
    goos: target.goos,
    goarch: target.goarch,
    '-variant': variant === '' ? '' : `-${variant}`,
    variant,
    id: target.id,
    libc: target.glibcVersion === null ? target.libc : `glibc${target.glibcVersion}`,
    ext: target.goos === 'windows' ? '.exe' : '',
  };
  const file = template.replace(/\{([^}]*)\}/g, (_, key: string) => fill[key as Placeholder] ?? '');
  if (!isSafeFileName(file)) {
    throw new UsageError(
      `the artifact name '${file}' (from '${template}') is not a plain file name; use letters, digits and . _ + ~ - only (change --name or --name-template)`,
    );
  }
  return file;
}

/**
 * Refuses a build in which two targets would write the same file: one would silently overwrite the other
 * and `checksums.txt` would list one of them twice.
 */
export function checkDistinctNames(entries: ReadonlyArray<{ id: string; file: string }>): void {
  const seen = new Map<string, string>();
  for (const { id, file } of entries) {
    const other = seen.get(file);
    if (other !== undefined) {
      throw new UsageError(
        `${other} and ${id} would both be written to ${file}; change --name-template so names differ (add {-variant} or {id})`,
      );
    }
    seen.set(file, id);
  }
}

/**
 * The `<name>` of the artifacts by default: the last element of the main package's import path, less a
 * major-version suffix (`example.com/tool/v2` → `tool`), which is the name `go build` itself gives the
 * binary. A name that is no plain file name (a hostile go.mod) is refused with the fix.
 */
export function defaultArtifactName(importPath: string): string {
  const elements = importPath.split('/').filter(Boolean);
  let last = elements.at(-1) ?? '';
  if (/^v\d+$/.test(last) && elements.length > 1) last = elements.at(-2)!;
  if (!isSafeFileName(last)) {
    throw new UsageError(
      `the package's import path '${importPath}' gives no usable file name; name the artifacts with --name`,
    );
  }
  return last;
}
