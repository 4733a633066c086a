import { UsageError } from '../errors.js';
import type { Target, TargetRequest } from '../resolve/index.js';
import { targetSpecText } from './target-spec.js';

/**
 * `xcc targets --matrix`: a project's targets as a CI matrix, one job per target or per shard.
 * - github: JSON for `strategy.matrix: ${{ fromJSON(...) }}`: `{"include":[{"target":..., "name":...}]}`,
 *   or with shards `{"shard":["1/3","2/3","3/3"]}` (what `xcc build --shard` takes);
 * - gitlab: a `parallel: matrix:` fragment whose variables are TARGET and NAME, or SHARD.
 * `target` is the target with its options in the CLI's words (target-spec.ts), which the Action's
 * `targets` input and `xcc env` both read; `name` is the resolved id (`linux-amd64-glibc2.28`), unique
 * and safe in artifact and job names.
 */
export const MATRIX_FORMATS = ['github', 'gitlab'] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

export interface MatrixEntry {
  target: string;
  name: string;
}

export function parseMatrixFormat(value: string): MatrixFormat {
  if ((MATRIX_FORMATS as readonly string[]).includes(value)) return value as MatrixFormat;
  throw new UsageError(`unknown matrix format '${value}'; use ${MATRIX_FORMATS.join(' or ')}`);
}

export function matrixEntries(
  targets: ReadonlyArray<{ request: TargetRequest; resolved: Target }>,
): MatrixEntry[] {
  const entries = targets.map(({ request, resolved }) => ({
    target: targetSpecText(request),
    name: resolved.id,
  }));
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (seen.has(name)) throw new UsageError(`${name} is listed twice; list each target once`);
    seen.add(name);
  }
  return entries;
}

/** `--shards N`: a whole number from 1 to the number of targets (a shard with no target is a wasted job). */
export function parseShards(text: string, targetCount: number): number {
  if (!/^[1-9][0-9]*$/.test(text))
    throw new UsageError(`--shards takes a whole number of jobs like 3, got '${text}'`);
  const shards = Number(text);
  if (shards > targetCount)
    throw new UsageError(
      `--shards ${shards} is more than the ${targetCount} target${targetCount === 1 ? '' : 's'} to build; use at most ${targetCount}`,
    );
  return shards;
}

export function shardNames(shards: number): string[] {
  return Array.from({ length: shards }, (_, index) => `${index + 1}/${shards}`);
}

export function renderMatrix(
  format: MatrixFormat,
  entries: MatrixEntry[],
  shards: number | undefined,
): string {
  if (format === 'github') {
    // One line: what a step writes to GITHUB_OUTPUT as `matrix=...`.
    const matrix = shards === undefined ? { include: entries } : { shard: shardNames(shards) };
    return `${JSON.stringify(matrix)}\n`;
  }
  // JSON strings are YAML double-quoted scalars; every value here is plain ASCII (target-spec.ts).
  const list = (values: string[]) => `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;
  if (shards !== undefined) return `parallel:\n  matrix:\n    - SHARD: ${list(shardNames(shards))}\n`;
  const items = entries.map(
    ({ target, name }) => `    - TARGET: ${JSON.stringify(target)}\n      NAME: ${JSON.stringify(name)}\n`,
  );
  return `parallel:\n  matrix:\n${items.join('')}`;
}
