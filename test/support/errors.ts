import { expect } from 'vitest';

/**
 * What a user-fixable error looks like to `expect(...).toThrow(...)`: a UsageError (exit code 2) whose
 * message is exactly `message`, or matches it. Compared whole, so a message of two lines does not pass.
 */
export function usageError(message: string | RegExp) {
  return expect.objectContaining({
    name: 'UsageError',
    exitCode: 2,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });
}
