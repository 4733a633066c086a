import { UsageError } from '../errors.js';
import { type SubArchRequest, subArchFields, type TargetRequest } from '../resolve/index.js';

/**
 * A target with its options as one line of words, the way the CLI takes them: `linux/amd64 --glibc=2.28`.
 * `xcc targets --matrix` writes each matrix entry's target so; the GitHub Action's `targets` input reads
 * it back (and `xcc env ${{ matrix.target }}` in a shell step splits it into the same arguments). Both
 * directions live here so that they cannot drift apart.
 */
export function targetSpecText(request: TargetRequest): string {
  const words = [request.target];
  if (request.glibcVersion !== undefined) words.push(`--glibc=${request.glibcVersion}`);
  else if (request.libc !== undefined) words.push(`--${request.libc}`);
  for (const field of Object.keys(subArchFields) as (keyof SubArchRequest)[]) {
    const value = request[field];
    if (value !== undefined) words.push(`--${field}=${value}`);
  }
  if (request.macosSdk !== undefined) words.push(`--macos-sdk=${request.macosSdk}`);
  for (const word of words) checkWord(word, 'a target setting');
  return words.join(' ');
}

/**
 * A list of targets as text: targets separated by whitespace, newlines or commas, each followed by its
 * options written `--name=value` (`--musl`, `--glibc` and `--mingw` alone). The text comes from a
 * workflow file or a matrix, so only the characters of target names, versions and plain paths are
 * accepted: nothing that a shell, a YAML file or GitHub's file commands would read as syntax.
 * `where` names the source in messages (`input 'targets'`).
 */
export function parseTargetSpecs(text: string, where: string): TargetRequest[] {
  const requests: TargetRequest[] = [];
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    checkWord(word, where);
    if (word.startsWith('--')) {
      const current = requests.at(-1);
      if (current === undefined)
        throw new UsageError(
          `${where}: '${word}' comes before any target; write it after one, like linux/amd64 ${word}`,
        );
      applyOption(current, word, where);
      continue;
    }
    for (const target of word.split(',').filter((part) => part !== '')) {
      if (!target.includes('/'))
        throw new UsageError(
          `${where}: '${target}' is not a target; targets are GOOS/GOARCH (linux/arm64), options --name=value (--goarm=7)`,
        );
      requests.push({ target });
    }
  }
  return requests;
}

/** Option names as the CLI spells them, to the request field each sets. */
const VALUE_OPTIONS: Record<string, keyof SubArchRequest | 'macosSdk'> = {
  ...Object.fromEntries(Object.keys(subArchFields).map((field) => [`--${field}`, field])),
  '--macos-sdk': 'macosSdk',
};

function applyOption(request: TargetRequest, word: string, where: string): void {
  const equals = word.indexOf('=');
  const name = equals < 0 ? word : word.slice(0, equals);
  const value = equals < 0 ? undefined : word.slice(equals + 1);
  const seen = (field: keyof TargetRequest) => request[field] !== undefined;
  if (name === '--musl' || name === '--glibc' || name === '--mingw') {
    if (seen('libc')) throw new UsageError(`${where}: ${request.target} has two libc options; choose one`);
    if (value !== undefined && name !== '--glibc')
      throw new UsageError(`${where}: ${name} takes no value; write ${name} alone`);
    request.libc = name.slice(2) as TargetRequest['libc'];
    if (value !== undefined && value !== '') request.glibcVersion = value;
    return;
  }
  const field = VALUE_OPTIONS[name];
  if (field === undefined)
    throw new UsageError(
      `${where}: unknown option '${name}' after ${request.target}; use --musl, --glibc[=VERSION], --mingw or ${Object.keys(VALUE_OPTIONS).join(', ')}`,
    );
  if (value === undefined || value === '')
    throw new UsageError(`${where}: ${name} needs a value, written ${name}=VALUE`);
  if (seen(field))
    throw new UsageError(`${where}: ${name} is given twice for ${request.target}; give it once`);
  request[field] = value;
}

/**
 * Letters, digits and `_ . / = , + : -` only: every Go target, option and version is written with
 * these, and none is special to sh, YAML flow scalars or GitHub's `NAME=value` files.
 */
function checkWord(word: string, where: string): void {
  const bad = /[^A-Za-z0-9_./=,+:-]/.exec(word);
  if (bad === null) return;
  const shown = JSON.stringify(bad[0]).slice(1, -1);
  throw new UsageError(
    `${where}: '${JSON.stringify(word).slice(1, -1)}' contains '${shown}'; targets are written like linux/amd64 --glibc=2.28 (letters, digits and _ . / = , + : - only)`,
  );
}
