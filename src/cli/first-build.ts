import type { TargetRequest } from '../resolve/index.js';
import { firstLinkPending } from '../toolchain/first-link.js';
import type { Toolchain } from '../toolchain/provision.js';
import { targetSpecText } from './target-spec.js';

/**
 * The line said before a target's first build (see toolchain/first-link.ts): the wait is zig building the
 * target's C library, and `xcc install --prewarm` with the same target options does it ahead. Nothing
 * for darwin targets, whose C library is Apple's (zig builds only compiler-rt there, in seconds).
 */
export function firstBuildNotice(toolchain: Toolchain, request: TargetRequest): string | undefined {
  const { target } = toolchain;
  if (target.goos === 'darwin' || target.goos === 'ios' || !firstLinkPending(toolchain)) return undefined;
  const library =
    target.libc === 'glibc'
      ? `glibc ${target.glibcVersion}`
      : target.libc === 'mingw'
        ? 'mingw-w64'
        : target.libc;
  return (
    `xcc: the first cgo build for ${target.port} compiles its C library (${library}) into zig's cache, ` +
    `minutes on a small machine; '${prewarmCommand(request)}' does it ahead (with --cxx for C++)`
  );
}

/** `xcc install --prewarm` for the same target as the command line asked for, options included. */
export function prewarmCommand(request: TargetRequest): string {
  return `xcc install --prewarm ${targetSpecText(request)}`;
}
