import { compareVersions } from '../../resolve/version-order.js';

/**
 * Zig's version strings: releases `0.15.2`, dev builds `0.16.0-dev.1234+abcdef012` (commit height and
 * abbreviated commit, per ziglang/zig's build-commit tooling). Both are semver; ordering ignores the commit.
 */
const NUMBER = '(?:0|[1-9]\\d*)';
const RELEASE = new RegExp(`^${NUMBER}\\.${NUMBER}\\.${NUMBER}$`);
const DEV = new RegExp(`^${NUMBER}\\.${NUMBER}\\.${NUMBER}-dev\\.${NUMBER}\\+[0-9a-f]+$`);

export function isReleaseVersion(text: string): boolean {
  return RELEASE.test(text);
}

export function isDevVersion(text: string): boolean {
  return DEV.test(text);
}

export function isZigVersion(text: string): boolean {
  return isReleaseVersion(text) || isDevVersion(text);
}

/** Newest first. */
export function newestFirst(versions: Iterable<string>): string[] {
  return [...versions].sort((a, b) => compareVersions(b, a));
}
