import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { CACHE_FILE_MODE, checkCachePath, ensureCacheDir } from '../cache-safety.js';
import { UsageError, XccError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { cacheLayout, type Env } from '../home.js';
import { dispatcherOf, goSplit, type HostCompilers, isDispatcher } from './dispatch.js';

/**
 * The go command's own settings, as `xcc dispatch` and `xcc setup` need them: the host's C compilers
 * (what Go would run without xcc), the user's go env file (GOENV), and `go env -w`/`-u` to change it.
 */

/** The variables `xcc setup` writes with `go env -w`, and `--undo` puts back. */
export const SETUP_VARIABLES = ['CC', 'CXX', 'CGO_ENABLED'] as const;
export type SetupVariable = (typeof SETUP_VARIABLES)[number];

/** Runs `go ARGS`; a missing or failing Go is the user's to fix, said in one line. */
export async function runGo(args: string[], env: Env): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile('go', args, { env: { ...env }, timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        reject(
          new UsageError(
            'go is not on PATH: one CC for every target is for Go builds; install Go or put it on PATH',
          ),
        );
        return;
      }
      const said = `${stderr}`.trim().split('\n')[0] || error.message.split('\n')[0];
      reject(new XccError(`go ${args.join(' ')} failed: ${said}`));
    });
  });
}

/** The environment without these variables: what Go reads from its env file when they are not exported. */
function without(env: Env, names: readonly string[]): Env {
  const rest: Record<string, string | undefined> = { ...env };
  for (const name of names) delete rest[name];
  return rest;
}

/**
 * The C compilers Go runs for the host: `go env CC CXX` as the go env file (or Go's default) says, not a CC
 * exported in this shell (a target's wrapper, from `eval "$(xcc env ...)"`). With `previous` (xcc setup),
 * the file's values from before xcc set it up, else Go's defaults. A CC that is one of xcc's dispatchers
 * stands for the compilers that dispatcher recorded, or Go's defaults when its record is gone: never
 * itself, which would loop.
 */
export async function hostCompilers(options: {
  env: Env;
  home: string;
  previous?: SetupValues;
}): Promise<HostCompilers> {
  const { home, previous } = options;
  const env = without(options.env, ['CC', 'CXX', 'GOOS', 'GOARCH']);
  const ask = async (fileless: boolean) => {
    const output = await runGo(
      ['env', '-json', 'CC', 'CXX', 'GOHOSTOS', 'GOHOSTARCH'],
      fileless ? { ...env, GOENV: 'off' } : env,
    );
    return JSON.parse(output) as Record<string, string | undefined>;
  };
  let values = await ask(previous !== undefined);
  const host = { goos: values.GOHOSTOS ?? '', goarch: values.GOHOSTARCH ?? '' };
  if (previous !== undefined) {
    values = { ...values, ...(previous.CC === null ? {} : { CC: previous.CC }) };
    values = { ...values, ...(previous.CXX === null ? {} : { CXX: previous.CXX }) };
  }
  let cc = goSplit(values.CC ?? '');
  let cxx = goSplit(values.CXX ?? '');
  if (isDispatcher(home, cc) || isDispatcher(home, cxx)) {
    const recorded = (await dispatcherOf(home, cc)) ?? (await dispatcherOf(home, cxx));
    if (recorded !== undefined) return { ...recorded.host, ...host };
    const defaults = await ask(true);
    cc = goSplit(defaults.CC ?? '');
    cxx = goSplit(defaults.CXX ?? '');
  }
  if (cc.length === 0 || cxx.length === 0) {
    throw new XccError('go env printed no CC or CXX for the host; check the Go on PATH');
  }
  return { ...host, cc, cxx };
}

/** The go env file (`go env GOENV`), which `go env -w` writes. */
export async function goEnvFile(env: Env): Promise<string> {
  const file = (await runGo(['env', 'GOENV'], env)).trim();
  if (file === '' || file === 'off' || !path.isAbsolute(file)) {
    const why = file === '' ? 'GOENV=off: go has no env file' : `GOENV is ${JSON.stringify(file)}`;
    throw new UsageError(
      `go env -w cannot write here (${why}); unset GOENV or set it to a file, or use 'xcc dispatch' and set CC yourself`,
    );
  }
  return file;
}

/**
 * The values the go env file holds, read as cmd/go reads it (cmd/go/internal/cfg readEnvFile): one
 * `KEY=VALUE` a line, the key up to the first `=`, lines not starting with A-Z ignored; the last one wins.
 * Absent: null.
 */
export function parseGoEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    if (equals < 0 || !/^[A-Z]/.test(line)) continue;
    values[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return values;
}

export type SetupValues = Record<SetupVariable, string | null>;

async function fileValues(file: string): Promise<SetupValues> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw new XccError(`cannot read ${file} (${error.code}); check its permissions`, { cause: error });
  });
  const values = parseGoEnvFile(text);
  return Object.fromEntries(SETUP_VARIABLES.map((name) => [name, values[name] ?? null])) as SetupValues;
}

/** What `xcc setup` did to one go env file: what was there before, and what it wrote. */
export interface SetupRecord {
  goenv: string;
  previous: SetupValues;
  written: SetupValues;
}

function recordFile(home: string, goenv: string): string {
  const name = createHash('sha256').update(goenv).digest('hex').slice(0, 16);
  return path.join(cacheLayout(home).setup, `${name}.json`);
}

async function readRecord(home: string, goenv: string): Promise<SetupRecord | undefined> {
  const file = recordFile(home, goenv);
  if (!(await checkCachePath(home, file))) return undefined;
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as SetupRecord;
    const valid = (values: unknown) =>
      typeof values === 'object' &&
      values !== null &&
      SETUP_VARIABLES.every((name) => {
        const value = (values as Record<string, unknown>)[name];
        return value === null || typeof value === 'string';
      });
    if (parsed.goenv !== goenv || !valid(parsed.previous) || !valid(parsed.written)) return undefined;
    return parsed;
  } catch {
    return undefined;
  }
}

export interface SetupPlan {
  goenv: string;
  /** What the file held before xcc first set it up (kept across repeated setups). */
  previous: SetupValues;
  /** Whether the file's CC is still xcc's from an earlier setup. */
  again: boolean;
}

/** Reads the go env file and any earlier setup of it, before anything is written. */
export async function planSetup(options: { env: Env; home: string }): Promise<SetupPlan> {
  const goenv = await goEnvFile(options.env);
  const current = await fileValues(goenv);
  const record = await readRecord(options.home, goenv);
  // Set up before and untouched since: what was there before that is what to restore, not xcc's own CC.
  const again =
    record !== undefined && SETUP_VARIABLES.every((name) => current[name] === record.written[name]);
  return { goenv, previous: again ? record.previous : current, again };
}

/** `go env -w` of the dispatcher, and the record that `--undo` reads. */
export async function applySetup(options: {
  env: Env;
  home: string;
  plan: SetupPlan;
  written: SetupValues;
}): Promise<void> {
  const { env, home, plan, written } = options;
  const file = recordFile(home, plan.goenv);
  await ensureCacheDir(home, path.dirname(file));
  // The record first: a setup that stops halfway can still be undone.
  const record: SetupRecord = { goenv: plan.goenv, previous: plan.previous, written };
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: CACHE_FILE_MODE });
  await writeGoEnv(written, env);
}

export interface UndoResult {
  goenv: string;
  /** Nothing recorded for this go env file. */
  nothing: boolean;
  restored: Partial<SetupValues>;
  /** Variables changed since the setup, left as they are. */
  kept: SetupVariable[];
}

/** Puts back what the go env file held before `xcc setup`, for each variable still as xcc wrote it. */
export async function undoSetup(options: { env: Env; home: string }): Promise<UndoResult> {
  const { env, home } = options;
  const goenv = await goEnvFile(env);
  const record = await readRecord(home, goenv);
  if (record === undefined) return { goenv, nothing: true, restored: {}, kept: [] };
  const current = await fileValues(goenv);
  const restored: Partial<SetupValues> = {};
  const kept: SetupVariable[] = [];
  for (const name of SETUP_VARIABLES) {
    if (current[name] === record.written[name]) restored[name] = record.previous[name];
    else kept.push(name);
  }
  await writeGoEnv(restored, env);
  await rm(recordFile(home, goenv), { force: true });
  return { goenv, nothing: false, restored, kept };
}

/** `go env -w NAME=VALUE...` and `go env -u NAME...`: the go command writes its own file. */
async function writeGoEnv(values: Partial<SetupValues>, env: Env): Promise<void> {
  // A variable exported here would make go env -w warn that it does not override it: the file is what
  // is being changed, so the child does not see them.
  const child = without(env, SETUP_VARIABLES);
  const set = Object.entries(values).filter(([, value]) => value !== null && value !== undefined);
  const unset = Object.entries(values).filter(([, value]) => value === null);
  if (set.length > 0) await runGo(['env', '-w', ...set.map(([name, value]) => `${name}=${value}`)], child);
  if (unset.length > 0) await runGo(['env', '-u', ...unset.map(([name]) => name)], child);
}
