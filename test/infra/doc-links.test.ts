/**
 * Every relative link in README.md and docs/*.md points at a file that exists and, with a `#fragment`,
 * at a heading that the target page has: the README is a short page that links to docs/ for the rest,
 * and a page moved or a heading renamed must not leave a dead link behind.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/paths.js';

const pages = [
  'README.md',
  ...readdirSync(path.join(projectRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The text outside fenced code blocks and inline code spans, where a `[x](y)` is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[\s\S]*?\1/g, '');
}

/** Link targets of inline links `[text](target)` and `[text](target "title")`. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to `-`, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Why `target`, linked from `page`, is dead; undefined when it resolves. */
function deadLink(page: string, target: string): string | undefined {
  const [file = '', fragment] = target.split('#', 2);
  const resolved = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
  const absolute = path.join(projectRoot, resolved);
  if (resolved.startsWith('..') || !existsSync(absolute)) return `${resolved} does not exist`;
  if (fragment === undefined || fragment === '') return undefined;
  if (statSync(absolute).isDirectory() || !resolved.endsWith('.md'))
    return `#${fragment}: ${resolved} is not a page`;
  const anchors = headingAnchors(readFileSync(absolute, 'utf8'));
  return anchors.has(decodeURIComponent(fragment)) ? undefined : `${resolved} has no heading #${fragment}`;
}

describe('links in README.md and docs/', () => {
  it('finds links outside code only, and anchors as GitHub makes them', () => {
    expect(linkTargets('see [a](docs/a.md#x) and `[b](no.md)`\n```\n[c](no.md)\n```\n[d](e.md "t")')).toEqual(
      ['docs/a.md#x', 'e.md'],
    );
    expect([...headingAnchors("## Prewarming zig's cache\n## `xcc env` (sh)\n## A\n## A\n")]).toEqual([
      'prewarming-zigs-cache',
      'xcc-env-sh',
      'a',
      'a-1',
    ]);
  });

  it.each(pages)('every relative link in %s resolves', (page) => {
    const dead = linkTargets(readFileSync(path.join(projectRoot, page), 'utf8'))
      .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
      .flatMap((target) => {
        const why = deadLink(page, target);
        return why === undefined ? [] : [`${target}: ${why}`];
      });
    expect(dead).toEqual([]);
  });
});
