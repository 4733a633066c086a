import { XccError } from '../../errors.js';
import { isErrnoCode } from '../../fs-atomic.js';

/** No space or quota left: no other source or retry can help, only freeing space or moving the cache. */
export function isDiskFull(error: unknown): error is NodeJS.ErrnoException {
  return isErrnoCode(error, 'ENOSPC', 'EDQUOT');
}

/**
 * The cache directory itself failing (full, read-only, not a directory, under /proc...) is for the user to
 * fix, with XCC_HOME or by freeing space; any other error passes through unchanged.
 */
export function cacheError(root: string, error: unknown, access: 'read' | 'write'): unknown {
  if (isDiskFull(error)) {
    return new XccError(
      `no space left for the xcc cache in ${root} (${error.code}); free some space ('xcc prune --keep 1' removes older Zig versions) or set XCC_HOME to a directory on a larger disk`,
      { cause: error },
    );
  }
  if (!isErrnoCode(error, 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT')) return error;
  return new XccError(
    `cannot ${access} the xcc cache in ${root} (${error.code}); set XCC_HOME to a ${access === 'write' ? 'writable ' : ''}directory`,
    { cause: error },
  );
}
