import { redactUrls } from './redact.js';

/**
 * Errors a user can fix. The message is one line that says what went wrong and how to fix it;
 * the CLI prints it without a stack (unless --debug). Anything else thrown is a bug and shows its stack.
 * Its message never carries a URL's credentials (redactUrls): library callers log it too.
 */
export class XccError extends Error {
  override name = 'XccError';
  /** 2 for bad usage (wrong flag, unknown target, malformed version), 1 for failures (network, disk...). */
  readonly exitCode: 1 | 2;

  constructor(message: string, options: { exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(redactUrls(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad input: an unknown target, a malformed option or version. Exit code 2. */
export class UsageError extends XccError {
  override name = 'UsageError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

export function isXccError(error: unknown): error is XccError {
  return error instanceof XccError;
}
