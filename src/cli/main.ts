import { type CAC, cac } from 'cac';
import { isXccError } from '../errors.js';
import { redactUrls } from '../redact.js';
import { version } from '../version.js';
import { commands, commandsFor } from './commands/index.js';
import { protectTextValues } from './option-text.js';

/**
 * Builds the CLI without running it, so tests can parse arguments without spawning a process. Only the
 * commands `argv` needs are loaded (see commandsFor); without `argv`, all of them.
 */
export async function createCli(argv?: readonly string[]): Promise<CAC> {
  const cli = cac('xcc');
  cli.option('--debug', 'Show stack traces and internal details on errors');
  const names = argv === undefined ? Object.keys(commands) : commandsFor(argv);
  const registers = await Promise.all(names.map((name) => commands[name]!()));
  for (const register of registers) register(cli);
  cli.help();
  cli.version(version());
  return cli;
}

/**
 * The whole CLI: parse, run the matched command, turn errors into one line and an exit code.
 * Sets `process.exitCode` rather than calling `process.exit`, so pending output is flushed.
 */
export async function runMain(argv: readonly string[]): Promise<void> {
  const debug = argv.includes('--debug');
  try {
    const cli = await createCli(argv);
    cli.parse(['node', 'xcc', ...protectTextValues(argv, cli)], { run: false });
    if (!cli.matchedCommand) {
      if (cli.options.help || cli.options.version) return;
      const [first] = cli.args;
      if (first !== undefined) throw new CliUsageError(`unknown command '${first}'`);
      const unknown = Object.keys(cli.options).find((name) => name !== '--' && name !== 'debug');
      if (unknown !== undefined) {
        throw new CliUsageError(`unknown option '${unknown.length > 1 ? '--' : '-'}${unknown}'`);
      }
      cli.outputHelp();
      return;
    }
    await cli.runMatchedCommand();
  } catch (error) {
    process.exitCode = report(error, debug);
  }
}

/** cac throws its own CACError for unknown options and missing arguments: those are usage errors. */
class CliUsageError extends Error {}

/** The flag that sets each library option an error may name (XccError.option). */
const OPTION_FLAGS: Record<string, string> = {
  from: '--from',
  sources: '--source',
  macosSdk: '--macos-sdk',
  sysroot: '--sysroot',
  format: '--format',
  unset: '--unset',
};

function report(error: unknown, debug: boolean): number {
  // Whatever put a URL into a message (an index page, a setting, an error of a library), its
  // credentials are not printed: users paste this output into issues and CI logs.
  const print = (text: string) => process.stderr.write(`${redactUrls(text)}\n`);
  if (isXccError(error)) {
    // The library names the option a caller passed; here the user typed a flag.
    const flag = error.option === undefined ? undefined : OPTION_FLAGS[error.option];
    print(`xcc: ${flag === undefined ? error.message : error.messageFor(flag)}`);
    if (debug) print(stackWithCauses(error));
    return error.exitCode;
  }
  if (error instanceof CliUsageError || (error instanceof Error && error.name === 'CACError')) {
    // cac's messages quote with backticks; keep one quoting style across xcc's output.
    const message = lowerFirst((error as Error).message).replaceAll('`', "'");
    print(`xcc: ${message}; run 'xcc --help' for usage`);
    return 2;
  }
  if (debug) {
    print(stackWithCauses(error));
  } else {
    const message = error instanceof Error ? error.message : String(error);
    print(`xcc: internal error: ${message} (run again with --debug for details)`);
  }
  return 1;
}

function stackWithCauses(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current !== undefined) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\nCaused by: ');
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
