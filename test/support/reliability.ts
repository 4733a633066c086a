import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeEach, type TestContext } from 'vitest';
import { cacheLayout } from '../../src/home.js';
import { projectRoot } from './paths.js';
import { prerequisitesRequired, requireOrSkip } from './tools.js';

/**
 * Bookkeeping for the reliability suite (test/reliability/): each file is one category of attack and
 * records how many cases passed, failed or were skipped (with why) in `test/.results/reliability/`, which
 * `scripts/reliability-table.ts` renders into docs/reliability.md. A test counts as one case unless it says it
 * covers more (a fuzz property: its runs).
 */

export type Category =
  | 'mirror-faults'
  | 'tampering'
  | 'archive-attacks'
  | 'pypi'
  | 'cache-attacks'
  | 'crashes'
  | 'concurrency'
  | 'bad-input'
  | 'shell-injection'
  | 'fuzzing';

export interface CategoryResult {
  category: Category;
  /** Shown in the table of docs/reliability.md. */
  title: string;
  /** What the cases attack, one sentence. */
  covers: string;
  /** Cases that passed (sum of each passing test's case count). */
  passed: number;
  /** Tests that passed (a test may cover several cases). */
  tests: number;
  /** What a case is when it is not a scenario, e.g. `fuzzed inputs`; such counts are kept out of totals. */
  unit?: string;
  failed: number;
  skipped: Array<{ test: string; reason: string }>;
  /** Extra figures worth showing, e.g. where kill -9 landed. */
  notes: string[];
}

export const resultsDir = path.join(projectRoot, 'test', '.results', 'reliability');

export interface CategoryRecorder {
  /** This test covers `count` cases (default 1). */
  cases(context: TestContext, count: number): void;
  /**
   * `requireOrSkip` (a failure under XCC_E2E=require) that also records a skip's reason for docs/reliability.md.
   */
  skip(context: TestContext, missing: string, fix: string): never;
  note(text: string): void;
}

export function recordCategory(
  category: Category,
  title: string,
  covers: string,
  unit?: string,
): CategoryRecorder {
  const result: CategoryResult = {
    category,
    title,
    covers,
    passed: 0,
    tests: 0,
    ...(unit ? { unit } : {}),
    failed: 0,
    skipped: [],
    notes: [],
  };
  const counts = new Map<string, number>();
  beforeEach((context) => {
    context.onTestFinished(({ task }) => {
      const state = task.result?.state;
      if (state === 'pass') {
        result.passed += counts.get(task.id) ?? 1;
        result.tests += 1;
      } else if (state === 'fail') result.failed += 1;
    });
  });
  afterAll(async () => {
    await mkdir(resultsDir, { recursive: true });
    await writeFile(path.join(resultsDir, `${category}.json`), `${JSON.stringify(result, null, 2)}\n`);
  });
  return {
    cases: (context, count) => {
      counts.set(context.task.id, count);
    },
    skip: (context, missing, fix) => {
      if (!prerequisitesRequired()) result.skipped.push({ test: context.task.name, reason: missing });
      return requireOrSkip(context, missing, fix);
    },
    note: (text) => {
      result.notes.push(text);
    },
  };
}

/** What an install left in a cache: temp dirs, installs, lock directories. */
export interface CacheState {
  tmp: string[];
  zig: string[];
  locks: string[];
}

export function cacheState(home: string): CacheState {
  const layout = cacheLayout(home);
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  return { tmp: list(layout.tmp), zig: list(layout.zig), locks: list(layout.locks) };
}

/** stderr as lines, for "exactly one line" and "names every source" assertions. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** Every path below `dir` (relative, `/`-separated, sorted), without following symlinks. */
export function treeOf(dir: string): string[] {
  const walk = (relative: string): string[] =>
    readdirSync(path.join(dir, relative), { withFileTypes: true }).flatMap((entry) => {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      return entry.isDirectory() ? [name, ...walk(name)] : [name];
    });
  return walk('').sort();
}
