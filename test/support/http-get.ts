/**
 * Fetches one URL with xcc's HTTP module, in a process of its own: NODE_EXTRA_CA_CERTS is read by Node
 * at startup, so trust can only be tested in a fresh process. Prints the result or the error as JSON.
 * Usage: node --import tsx test/support/http-get.ts <url>
 */
import { createHttpClient, HttpError } from '../../src/zig/net/http.js';

const url = process.argv[2] ?? '';
try {
  const response = await createHttpClient({ retry: { retries: 0 } }).getText(url);
  process.stdout.write(JSON.stringify(response));
} catch (error) {
  const failure = error instanceof HttpError ? error.failure : undefined;
  process.stdout.write(
    JSON.stringify({ error: { name: (error as Error).name, failure, message: (error as Error).message } }),
  );
  process.exitCode = 1;
}
