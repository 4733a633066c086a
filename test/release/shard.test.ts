import { describe, expect, it } from 'vitest';
import { allShards, parseShard, shardItems } from '../../src/release/shard.js';

const IDS = [
  'windows-amd64-mingw',
  'linux-arm64-musl',
  'linux-amd64-musl',
  'linux-arm-v7-musl',
  'linux-riscv64-musl',
  'darwin-arm64',
  'linux-amd64-glibc2.28',
];
const items = (ids: readonly string[]) => ids.map((id) => ({ id }));
const ids = (list: ReadonlyArray<{ id: string }>) => list.map((item) => item.id);

describe('shards of a release', () => {
  it('together hold every target exactly once, for every shard count', () => {
    for (let count = 1; count <= IDS.length + 2; count++) {
      const shards = allShards(items(IDS), count).map(ids);
      const union = shards.flat();
      expect(union.sort(), `N=${count}`).toEqual([...IDS].sort());
      const sizes = shards.map((shard) => shard.length);
      expect(Math.max(...sizes) - Math.min(...sizes), `N=${count}`).toBeLessThanOrEqual(1);
    }
  });

  it('do not depend on the order the targets are listed in, and ignore duplicates', () => {
    const reversed = [...IDS].reverse();
    const shuffled = [IDS[3]!, IDS[0]!, IDS[6]!, IDS[1]!, IDS[5]!, IDS[2]!, IDS[4]!, IDS[0]!];
    for (let index = 1; index <= 3; index++) {
      const shard = { index, count: 3 };
      const expected = ids(shardItems(items(IDS), shard));
      expect(ids(shardItems(items(reversed), shard))).toEqual(expected);
      expect(ids(shardItems(items(shuffled), shard))).toEqual(expected);
    }
    // Sorted by id, dealt round-robin: the documented rule, spelled out once.
    expect(ids(shardItems(items(IDS), { index: 1, count: 3 }))).toEqual([
      'darwin-arm64',
      'linux-arm-v7-musl',
      'windows-amd64-mingw',
    ]);
  });

  it('are written K/N, and anything else is refused with the fix', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '3', '1/0', 'a/b', '1/3/5', '-1/3']) {
      expect(() => parseShard(bad), bad).toThrow(/is not K\/N with 1 <= K <= N; write it like --shard 2\/3/);
    }
  });
});
