import { UsageError } from '../errors.js';

/**
 * Splitting a release's targets between CI jobs. The targets are sorted by id (`linux-arm64-musl`) and
 * dealt round-robin: the i-th of the sorted list (from 0) goes to shard (i mod N) + 1. So a shard's share
 * depends on the set of targets, never on the order they are listed in (xcc.json, the command line); the
 * N shards are disjoint and together hold every target; and they differ in size by one at most.
 */
export interface Shard {
  /** From 1. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard '${text}' is not K/N with 1 <= K <= N; write it like --shard 2/3`);
  }
  return { index, count };
}

export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** The items sorted by id, each id once (the first of its duplicates kept). */
export function stableOrder<T extends { id: string }>(items: readonly T[]): T[] {
  const unique = new Map<string, T>();
  for (const item of items) if (!unique.has(item.id)) unique.set(item.id, item);
  return [...unique.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The items of one shard. */
export function shardItems<T extends { id: string }>(items: readonly T[], shard: Shard): T[] {
  return stableOrder(items).filter((_, position) => position % shard.count === shard.index - 1);
}

/** Every shard of `count`, in order; with more shards than items, the last ones are empty. */
export function allShards<T extends { id: string }>(items: readonly T[], count: number): T[][] {
  return Array.from({ length: count }, (_, at) => shardItems(items, { index: at + 1, count }));
}
