/**
 * Checks the shape of parsed JSON one value at a time, so that a bad document fails with one line naming
 * where it is wrong (`index.json: "0.15.2"."x86_64-linux".shasum is not a sha256`) instead of a TypeError
 * far away.
 */
export type JsonPath = readonly (string | number)[];

export function formatPath(path: JsonPath): string {
  if (path.length === 0) return 'the document';
  return path
    .map((segment, i) => {
      if (typeof segment === 'number') return `[${segment}]`;
      const name = /^[A-Za-z_$][\w$]*$/.test(segment) ? segment : JSON.stringify(segment);
      return i === 0 ? name : `.${name}`;
    })
    .join('');
}

export class JsonShape {
  /**
   * @param source names the document in messages (a file name or URL).
   * @param toError turns the one-line message into the error to throw (XccError for downloaded data,
   *   Error for files shipped with xcc, where a bad shape is a bug).
   */
  constructor(
    readonly source: string,
    private readonly toError: (message: string) => Error,
  ) {}

  fail(path: JsonPath, problem: string): never {
    throw this.toError(`${this.source}: ${formatPath(path)} ${problem}`);
  }

  object(value: unknown, path: JsonPath): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(path, 'is not an object');
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: JsonPath): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'is not an array');
    return value;
  }

  string(value: unknown, path: JsonPath, format?: { test: (text: string) => boolean; what: string }): string {
    if (typeof value !== 'string') this.fail(path, 'is not a string');
    if (format && !format.test(value)) this.fail(path, `is not ${format.what}: ${JSON.stringify(value)}`);
    return value;
  }

  /** A hex sha256, returned in lower case. */
  sha256(value: unknown, path: JsonPath): string {
    return this.string(value, path, {
      test: (text) => /^[0-9a-fA-F]{64}$/.test(text),
      what: 'a sha256',
    }).toLowerCase();
  }

  /** A size in bytes: a non-negative integer. */
  size(value: unknown, path: JsonPath): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.fail(path, `is not a size in bytes: ${JSON.stringify(value)}`);
    }
    return value;
  }

  optionalString(value: unknown, path: JsonPath): string | undefined {
    return value === undefined ? undefined : this.string(value, path);
  }
}

/** Parses JSON text, reporting a syntax error as a shape error of the whole document. */
export function parseJson(text: string, shape: JsonShape): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error as it is: newlines in it would break the one-line message.
    return shape.fail([], `is not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')})`);
  }
}
