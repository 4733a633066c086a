import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Readers for what xcc's env formats produce, as the programs that consume them read it: a shell's
 * environment after sourcing (`env -0`), GitHub's runner for `$GITHUB_ENV`, python-dotenv and Node's
 * `--env-file` for dotenv. Each returns every variable exactly, whatever bytes its value holds.
 */

/** `env -0` prints NAME=value records separated by NUL: exact for any value. */
export function parseEnv0(output: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const record of output.split('\0')) {
    const eq = record.indexOf('=');
    if (eq > 0) vars[record.slice(0, eq)] = record.slice(eq + 1);
  }
  return vars;
}

/**
 * `$GITHUB_ENV` as the Actions runner reads it on Linux (actions/runner, SetEnvFileCommand): lines split
 * on `\n`; `NAME=value`, or `NAME<<DELIMITER` and the lines up to the first line equal to DELIMITER.
 */
export function parseGithubEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      vars[line.slice(0, equals)] = line.slice(equals + 1);
      continue;
    }
    if (heredoc < 0) throw new Error(`invalid GITHUB_ENV line ${JSON.stringify(line)}`);
    const delimiter = line.slice(heredoc + 2);
    const end = lines.indexOf(delimiter, i + 1);
    if (end < 0) throw new Error(`GITHUB_ENV: delimiter ${delimiter} not found`);
    vars[line.slice(0, heredoc)] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return vars;
}

export function hasPythonDotenv(): boolean {
  return spawnSync('python3', ['-c', 'import dotenv'], { stdio: 'ignore' }).status === 0;
}

/** What python-dotenv's `dotenv_values` (its defaults: `${NAME}` interpolated) reads from `file`. */
export function readWithPythonDotenv(file: string): Record<string, string | null> {
  const output = execFileSync(
    'python3',
    ['-c', 'import dotenv, json, sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1])))', file],
    { encoding: 'utf8', env: { PATH: process.env.PATH } },
  );
  return JSON.parse(output) as Record<string, string | null>;
}

/** What Node's own `--env-file` parser puts into `process.env` from `file` (on top of an empty environment). */
export function readWithNodeEnvFile(file: string): Record<string, string> {
  const output = execFileSync(
    process.execPath,
    [`--env-file=${file}`, '-e', 'process.stdout.write(JSON.stringify(process.env))'],
    { encoding: 'utf8', env: {} },
  );
  return JSON.parse(output) as Record<string, string>;
}
