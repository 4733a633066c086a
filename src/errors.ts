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
  /**
   * The option the caller passed that the message is about (`from`, `sources`, `macosSdk`, `sysroot`,
   * `format`, `unset`), when it names one: the message says it in the library's words, and a front end whose
   * users spell options differently (the CLI's `--from`, `--source`, `--macos-sdk`) asks `messageFor` its own.
   */
  readonly option: string | undefined;
  readonly #text: OptionText | undefined;

  constructor(message: string | OptionText, options: XccErrorOptions = {}) {
    super(
      redactUrls(typeof message === 'string' ? message : message(undefined)),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.exitCode = options.exitCode ?? 1;
    this.option = options.option;
    this.#text = typeof message === 'string' ? undefined : message;
  }

  /** The message with the option spelled as the caller's front end spells it (`--from`). */
  messageFor(spelling: string): string {
    return this.#text === undefined ? this.message : redactUrls(this.#text(spelling));
  }
}

/** A message that names an option: `undefined` asks for the library's words, else that spelling. */
export type OptionText = (spelling: string | undefined) => string;

export interface XccErrorOptions {
  exitCode?: 1 | 2;
  cause?: unknown;
  option?: string;
}

/** `<value>: <problem>`, which a front end prints as `--from <value>: <problem>`. */
export function aboutOption(value: string, problem: string): OptionText {
  return (spelling) => `${spelling === undefined ? '' : `${spelling} `}${value}: ${problem}`;
}

/** Bad input: an unknown target, a malformed option or version. Exit code 2. */
export class UsageError extends XccError {
  override name = 'UsageError';

  constructor(message: string | OptionText, options: Omit<XccErrorOptions, 'exitCode'> = {}) {
    super(message, { ...options, exitCode: 2 });
  }
}

export function isXccError(error: unknown): error is XccError {
  return error instanceof XccError;
}
