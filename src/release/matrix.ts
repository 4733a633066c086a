import { UsageError } from '../errors.js';
import { allShards } from './shard.js';

/**
 * A CI matrix of a sharded release, for `xcc targets --matrix`: one job per shard, each running
 * `xcc build --shard K/N` (shard.ts says which targets that is). Without a shard count, one shard per
 * target. `targets` in each entry names its targets by id, for job names and logs; the job needs only the
 * shard.
 *
 *   github: {"include":[{"shard":"1/3","targets":"linux-amd64-musl windows-amd64-mingw"}, ...]}
 *           (strategy.matrix: ${{ fromJSON(needs.plan.outputs.matrix) }})
 *   gitlab: parallel:matrix YAML with one variable, XCC_SHARD: ["1/3", "2/3", "3/3"]
 */
export const MATRIX_KINDS = ['github', 'gitlab'] as const;
export type MatrixKind = (typeof MATRIX_KINDS)[number];

export interface MatrixEntry {
  shard: string;
  targets: string;
}

export function parseMatrixKind(text: string): MatrixKind {
  if (!(MATRIX_KINDS as readonly string[]).includes(text)) {
    throw new UsageError(`--matrix '${text}' is not a CI xcc knows; use ${MATRIX_KINDS.join(' or ')}`);
  }
  return text as MatrixKind;
}

/** One entry per shard that has targets; more shards than targets are cut to one per target. */
export function matrixEntries(ids: readonly string[], shards: number | undefined): MatrixEntry[] {
  const unique = [...new Set(ids)];
  if (unique.length === 0) {
    throw new UsageError('no targets for a matrix; list them in xcc.json\'s "targets"');
  }
  const count = Math.min(shards ?? unique.length, unique.length);
  return allShards(
    unique.map((id) => ({ id })),
    count,
  ).map((items, at) => ({ shard: `${at + 1}/${count}`, targets: items.map((item) => item.id).join(' ') }));
}

export function renderMatrix(kind: MatrixKind, entries: readonly MatrixEntry[]): string {
  if (kind === 'github') return `${JSON.stringify({ include: entries })}\n`;
  const shards = entries.map((entry) => JSON.stringify(entry.shard)).join(', ');
  return `parallel:\n  matrix:\n    - XCC_SHARD: [${shards}]\n`;
}

export function parseShardCount(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text.trim()) || count < 1) {
    throw new UsageError(
      `--shards '${text}' is not a count of jobs; give a whole number from 1, like --shards 3`,
    );
  }
  return count;
}
