import { UsageError, XccError } from '../errors.js';
import { crypto } from '../lazy-crypto.js';

/**
 * Env writers: pure string builders, one per shell or file format. Every value is escaped for its
 * format so that any byte sequence (quotes, `$`, backticks, `%`, newlines, non-ASCII) arrives exactly;
 * a value a format cannot represent is refused rather than silently changed.
 */
export const ENV_FORMATS = ['sh', 'fish', 'pwsh', 'cmd', 'dotenv', 'github', 'json'] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

/** Variable name → value, in the order they should be printed. */
export type EnvVars = Readonly<Record<string, string>>;

export function parseEnvFormat(value: string): EnvFormat {
  if ((ENV_FORMATS as readonly string[]).includes(value)) return value as EnvFormat;
  throw new UsageError(`unknown format '${value}'; use one of ${ENV_FORMATS.join(', ')}`);
}

/**
 * The format a user most likely wants when they did not say: GitHub Actions' files in a workflow,
 * else the login shell's dialect.
 */
export function defaultEnvFormat(env: Readonly<Record<string, string | undefined>>): EnvFormat {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_ENV) return 'github';
  const shell = (env.SHELL ?? '').split(/[\\/]/).pop() ?? '';
  if (shell === 'fish') return 'fish';
  if (shell.startsWith('pwsh') || shell.startsWith('powershell')) return 'pwsh';
  return 'sh';
}

/** Renders `vars` as text that sets them (`github`: the text to append to `$GITHUB_ENV`). */
export function renderEnv(vars: EnvVars, format: EnvFormat, random: () => string = randomDelimiter): string {
  const entries = Object.entries(vars);
  for (const [name] of entries) checkName(name);
  switch (format) {
    case 'sh':
      return lines(entries.map(([name, value]) => `export ${name}=${shQuote(value)}`));
    case 'fish':
      return lines(entries.map(([name, value]) => `set -gx ${name} ${fishQuote(value)}`));
    case 'pwsh':
      return lines(entries.map(([name, value]) => `$env:${name} = ${pwshQuote(value)}`));
    case 'cmd':
      return lines(entries.map(([name, value]) => `set "${name}=${cmdEscape(name, value)}"`));
    case 'dotenv':
      return lines(entries.map(([name, value]) => `${name}=${dotenvQuote(name, value)}`));
    case 'github':
      return entries.map(([name, value]) => githubEnvEntry(name, value, random)).join('');
    case 'json':
      return `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`;
  }
}

/** Renders what undoes `renderEnv` for the same names. */
export function renderUnset(names: readonly string[], format: EnvFormat): string {
  for (const name of names) checkName(name);
  switch (format) {
    case 'sh':
      return lines([`unset ${names.join(' ')}`]);
    case 'fish':
      return lines(names.map((name) => `set -e ${name}`));
    case 'pwsh':
      return lines(names.map((name) => `Remove-Item Env:${name} -ErrorAction SilentlyContinue`));
    case 'cmd':
      return lines(names.map((name) => `set "${name}="`));
    case 'json':
      return `${JSON.stringify(Object.fromEntries(names.map((name) => [name, null])), null, 2)}\n`;
    case 'dotenv':
    case 'github':
      throw new UsageError(
        (spelling) =>
          `${spelling ?? 'undoing an environment'} has no meaning for the ${format} format (a file is not undone); delete the lines instead`,
        { option: 'unset' },
      );
  }
}

/**
 * A step's outputs as GitHub Actions reads them from `$GITHUB_OUTPUT`: the same `NAME<<DELIMITER` form as
 * `$GITHUB_ENV`. Output names are ours (the Action's `action.yml`), and may hold `-`.
 */
export function renderGithubOutputs(
  outputs: Readonly<Record<string, string>>,
  random: () => string = randomDelimiter,
): string {
  const entries = Object.entries(outputs);
  for (const [name] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new Error(`invalid output name ${name}`);
  }
  return entries.map(([name, value]) => githubEnvEntry(name, value, random)).join('');
}

/** `$GITHUB_PATH` takes one directory a line. */
export function renderGithubPath(dirs: readonly string[]): string {
  for (const dir of dirs) {
    if (/[\r\n]/.test(dir)) throw unrepresentable('github', 'PATH', 'a newline');
  }
  return lines(dirs);
}

/** POSIX sh single quotes: nothing is special inside them except the quote itself. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** fish single quotes: only `\\` and `\'` are escapes inside them. */
export function fishQuote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/**
 * PowerShell single-quoted strings are verbatim; a quote is written twice. PowerShell also treats the
 * typographic quotes U+2018..U+201B as single quotes, so those are doubled too.
 */
export function pwshQuote(value: string): string {
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, '$&$&')}'`;
}

/**
 * cmd.exe, for a `.cmd` file that is `call`ed: `set "NAME=value"`. cmd reads the line before `set` runs:
 * `%` expands everywhere (so it is doubled, and a line cannot hold a newline), and each `"` switches
 * between quoted text, where `&|<>^()` are literal, and unquoted text, where they end the command or
 * redirect it. `set` then keeps what lies between the first and the last quote, so a `"` in the value is
 * kept, but what follows it up to the next `"` is unquoted: there those characters get cmd's `^` escape.
 */
function cmdEscape(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw unrepresentable('cmd', name, 'a newline');
  if (value.includes('\0')) throw unrepresentable('cmd', name, 'a NUL byte');
  let quoted = true;
  let text = '';
  for (const char of value.replaceAll('%', '%%')) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && '&|<>^()'.includes(char)) text += '^';
    text += char;
  }
  return text;
}

/**
 * dotenv has no single standard. We write what both readers the README names, Node's `--env-file` and
 * python-dotenv, read back exactly (the tests read every value back with both), and refuse the rest:
 * - bare when the value is plain, backslashes included (neither reads escapes in a bare value);
 * - else single quotes, which Node takes literally but python-dotenv reads `\\` and `\'` in as escapes:
 *   so no `\\` and no `\` at the end (the closing quote would be escaped);
 * - else (a `'` or a newline) double quotes with `\n`, for values without `"`, `\`, `\r` or `$` (the two
 *   read other escapes differently, and Docker Compose expands `$` there).
 * python-dotenv expands `${NAME}` in all three forms, with no escape, so a value holding `${` is refused.
 */
function dotenvQuote(name: string, value: string): string {
  if (value.includes('${')) throw unrepresentable('dotenv', name, '"${" (python-dotenv expands it)');
  if (/^[A-Za-z0-9_./:@+,=\\-]*$/.test(value)) return value;
  if (!/['\r\n]/.test(value) && !value.includes('\\\\') && !value.endsWith('\\')) return `'${value}'`;
  if (!/["\\\r$]/.test(value)) return `"${value.replaceAll('\n', '\\n')}"`;
  throw unrepresentable(
    'dotenv',
    name,
    value.includes('\\')
      ? 'a backslash that python-dotenv would read as an escape inside quotes'
      : value.includes('\r')
        ? 'a carriage return'
        : 'a quote or newline together with a double quote or $',
  );
}

/**
 * GitHub Actions' multi-line syntax `NAME<<DELIMITER`: the value ends at the first line equal to the
 * delimiter, so the delimiter is random and must not occur in the value (else a value could inject
 * further variables into the job).
 */
function githubEnvEntry(name: string, value: string, random: () => string): string {
  let delimiter = random();
  while (value.includes(delimiter)) delimiter = random();
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

function randomDelimiter(): string {
  return `xcc_${crypto().randomBytes(16).toString('hex')}`;
}

function checkName(name: string): void {
  // Names are ours (CC, GOOS, ...), never user data; a bad one is a bug, not a usage error.
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name ${name}`);
}

function unrepresentable(format: EnvFormat, name: string, what: string): XccError {
  return new XccError(
    (spelling) =>
      `the value of ${name} contains ${what}, which the ${format} format cannot represent; use ${spelling === undefined ? 'the sh or json format' : `${spelling} sh or ${spelling} json`}`,
    { option: 'format' },
  );
}

function lines(items: readonly string[]): string {
  return items.map((item) => `${item}\n`).join('');
}
