import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { XccError } from '../../src/errors.js';
import {
  defaultEnvFormat,
  type EnvFormat,
  parseEnvFormat,
  renderEnv,
  renderGithubPath,
  renderUnset,
} from '../../src/toolchain/render.js';
import {
  hasPythonDotenv,
  parseEnv0,
  parseGithubEnv,
  readWithNodeEnvFile,
  readWithPythonDotenv,
} from '../support/env-readers.js';
import { testCacheDir } from '../support/test-zig.js';
import { needCommand, requireOrSkip, testWineEnv } from '../support/tools.js';

/** Values chosen to break naive quoting in at least one of the formats. */
const NASTY: Record<string, string> = {
  XCC_T_PLAIN: '/home/user/.cache/xcc/v1/toolchains/linux-arm64-musl/cc',
  XCC_T_SPACE: '/Users/Jane Doe/Library/Caches/xcc/cc',
  XCC_T_SINGLE: "it's",
  XCC_T_DOUBLE: 'say "hi"',
  XCC_T_BOTHQ: `'"'"`,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${HOME} is the point of this value
  XCC_T_DOLLAR: '$HOME ${HOME} $(echo pwned) `id`',
  XCC_T_PERCENT: '%PATH% 100%',
  XCC_T_BANG: '!bang! !!',
  XCC_T_META: 'a&b|c<d>e^f;g*h?[i]~#j',
  XCC_T_BACKSLASH: 'C:\\Program Files\\xcc\\',
  XCC_T_UNC: '\\\\server\\share\\x',
  XCC_T_TRAILING_BACKSLASH: 'C:\\dir\\',
  XCC_T_BACKSLASH_N: 'a\\nb \\t',
  // cmd: after a quote in the value, cmd reads `&|<>^()` as operators until the next quote.
  XCC_T_QUOTE_META: 'a"b&echo INJECTED&c|d<e>f^g(h)"i&j"k^l',
  XCC_T_UNICODE: 'ünïcødé ✓ 日本語 \u{1F600}',
  XCC_T_CURLY: '‘curly’ ‚low‛',
  XCC_T_EMPTY: '',
  XCC_T_DASH: '-n -e --',
  XCC_T_EQUALS: '=a=b=',
  XCC_T_TAB: 'tab\there',
  XCC_T_NEWLINE: 'line one\nline two\n',
  XCC_T_CR: 'carriage\rreturn',
};

const MULTILINE = new Set(['XCC_T_NEWLINE', 'XCC_T_CR']);

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'xcc-render-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function pick(
  vars: Record<string, string | null>,
  names: readonly string[],
): Record<string, string | null | undefined> {
  return Object.fromEntries(names.map((name) => [name, vars[name]]));
}

const shells: Array<[string, EnvFormat, (file: string) => string[]]> = [
  ['bash', 'sh', (file) => ['bash', '--norc', '--noprofile', '-c', `. '${file}' && env -0`]],
  ['dash', 'sh', (file) => ['dash', '-c', `. '${file}' && env -0`]],
  ['zsh', 'sh', (file) => ['zsh', '-f', '-c', `. '${file}' && env -0`]],
  ['fish', 'fish', (file) => ['fish', '--no-config', '-c', `source '${file}'; and env -0`]],
];

describe('renderEnv in real shells', () => {
  for (const [shell, format, command] of shells) {
    it(`${shell} reads back every value byte for byte (${format} format)`, (context) => {
      needCommand(context, shell);
      const file = tempFile(`env.${format}`, renderEnv(NASTY, format));
      const [bin, ...args] = command(file);
      const output = execFileSync(bin!, args, { encoding: 'utf8', env: { PATH: process.env.PATH } });
      expect(pick(parseEnv0(output), Object.keys(NASTY))).toEqual(NASTY);
    });
  }

  it(`sh output undone by --unset in bash`, () => {
    const file = tempFile('env.sh', renderEnv(NASTY, 'sh') + renderUnset(Object.keys(NASTY), 'sh'));
    const output = execFileSync('bash', ['--norc', '-c', `. '${file}' && env -0`], { encoding: 'utf8' });
    expect(pick(parseEnv0(output), Object.keys(NASTY))).toEqual(
      Object.fromEntries(Object.keys(NASTY).map((name) => [name, undefined])),
    );
  });

  it('fish output undone by --unset in fish', (context) => {
    needCommand(context, 'fish');
    const file = tempFile('env.fish', renderEnv(NASTY, 'fish') + renderUnset(Object.keys(NASTY), 'fish'));
    const output = execFileSync('fish', ['--no-config', '-c', `source '${file}'; and env -0`], {
      encoding: 'utf8',
    });
    expect(pick(parseEnv0(output), Object.keys(NASTY))).toEqual(
      Object.fromEntries(Object.keys(NASTY).map((name) => [name, undefined])),
    );
  });
});

describe('dotenv', () => {
  /**
   * What no quoting makes both readers agree on: both quotes with `$`, a carriage return, `${` (which
   * python-dotenv expands everywhere), and backslashes python-dotenv reads as escapes inside the quotes a
   * space needs.
   */
  const REFUSED = ['XCC_T_BOTHQ', 'XCC_T_DOLLAR', 'XCC_T_BACKSLASH', 'XCC_T_CR'];
  const representable = Object.fromEntries(Object.entries(NASTY).filter(([name]) => !REFUSED.includes(name)));

  it('refuses exactly the values no quoting carries through both readers', () => {
    const refused = Object.entries(NASTY)
      .filter(([name, value]) => {
        try {
          renderEnv({ [name]: value }, 'dotenv');
          return false;
        } catch (error) {
          expect(error).toBeInstanceOf(XccError);
          return true;
        }
      })
      .map(([name]) => name);
    expect(refused).toEqual(REFUSED);
  });

  it("round-trips through Node's own --env-file parser", () => {
    const file = tempFile('.env', renderEnv(representable, 'dotenv'));
    expect(pick(readWithNodeEnvFile(file), Object.keys(representable))).toEqual(representable);
  });

  it('round-trips through python-dotenv, which expands $-braces and reads backslash escapes', (context) => {
    if (!hasPythonDotenv())
      return requireOrSkip(context, 'python-dotenv is not installed', 'python3 -m pip install python-dotenv');
    const file = tempFile('.env', renderEnv(representable, 'dotenv'));
    expect(pick(readWithPythonDotenv(file), Object.keys(representable))).toEqual(representable);
  });

  // A library caller passed no flag: the message says what is wrong in the library's words, and the CLI
  // asks for it with its flags spelled (src/cli/main.ts).
  it('says what is wrong without CLI flags, and names them when the CLI asks', () => {
    const caught = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error as XccError;
      }
      throw new Error('no error');
    };
    const unset = caught(() => renderUnset(['CC'], 'dotenv'));
    expect(unset).toMatchObject({ option: 'unset', exitCode: 2 });
    expect(unset.message).toBe(
      'undoing an environment has no meaning for the dotenv format (a file is not undone); delete the lines instead',
    );
    expect(unset.messageFor('--unset')).toMatch(/^--unset has no meaning for the dotenv format/);
    const value = caught(() => renderEnv({ CC: `it's $HOME` }, 'dotenv'));
    expect(value).toMatchObject({ option: 'format', exitCode: 1 });
    expect(value.message).not.toMatch(/--/);
    expect(value.messageFor('--format')).toMatch(/; use --format sh or --format json$/);
  });

  it('refuses values it cannot represent, naming the variable and why', () => {
    expect(() => renderEnv({ CC: `'"\n` }, 'dotenv')).toThrow(XccError);
    expect(() => renderEnv({ CC: `it's $HOME` }, 'dotenv')).toThrow(
      /the value of CC contains .* which the dotenv format cannot represent; use the sh or json format$/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${HOME} is the point
    expect(() => renderEnv({ CC: '/x/${HOME}/cc' }, 'dotenv')).toThrow(
      'the value of CC contains "${" (python-dotenv expands it), which the dotenv format cannot represent',
    );
    expect(() => renderEnv({ CC: 'C:\\a b\\' }, 'dotenv')).toThrow(/contains a backslash that python-dotenv/);
  });
});

describe('cmd', () => {
  it('round-trips ASCII values through cmd.exe (wine)', (context) => {
    needCommand(context, 'wine');
    // Non-ASCII is left out: cmd reads batch files in the console code page, which wine maps differently
    // from Windows; the README says to run `chcp 65001` first for non-ASCII paths.
    const ascii = Object.fromEntries(
      Object.entries(NASTY).filter(([name, value]) => !MULTILINE.has(name) && /^[\x20-\x7e\t]*$/.test(value)),
    );
    const envFile = tempFile('env.cmd', renderEnv(ascii, 'cmd'));
    const script = path.join(path.dirname(envFile), 'dump.cmd');
    writeFileSync(script, '@echo off\r\ncall env.cmd\r\nset XCC_T_\r\n');
    const output = execFileSync('wine', ['cmd', '/c', 'dump.cmd'], {
      cwd: path.dirname(envFile),
      encoding: 'utf8',
      env: { ...process.env, ...testWineEnv(testCacheDir()) },
      timeout: 300_000,
    });
    expect(output.split('\r\n').filter((line) => line.startsWith('INJECTED'))).toEqual([]);
    const vars = Object.fromEntries(
      output
        .split('\r\n')
        .filter((line) => line.startsWith('XCC_T_'))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    // cmd cannot hold an empty variable: `set "X="` deletes it.
    expect(vars).toEqual(Object.fromEntries(Object.entries(ascii).filter(([, value]) => value !== '')));
  }, 180_000);

  it('doubles % and refuses newlines', () => {
    expect(renderEnv({ A: '100%', B: 'a"b&c' }, 'cmd')).toBe('set "A=100%%"\nset "B=a"b^&c"\n');
    expect(() => renderEnv({ A: 'x\ny' }, 'cmd')).toThrow(/the value of A contains a newline/);
  });
});

describe('pwsh', () => {
  it('doubles ASCII and typographic single quotes, leaves $ and backticks verbatim', () => {
    expect(renderEnv({ A: "it's ‘x’ $env:HOME `n" }, 'pwsh')).toBe("$env:A = 'it''s ‘‘x’’ $env:HOME `n'\n");
  });
});

describe('github', () => {
  it('round-trips every value through the heredoc syntax', () => {
    expect(parseGithubEnv(renderEnv(NASTY, 'github'))).toEqual(NASTY);
  });

  it('cannot be injected into: a value holding the delimiter gets another delimiter', () => {
    const delimiters = ['xcc_fixed', 'xcc_fixed', 'xcc_other'];
    const evil = 'x\nxcc_fixed\nGITHUB_TOKEN=stolen\nxcc_fixed';
    const text = renderEnv({ CC: evil }, 'github', () => delimiters.shift()!);
    expect(text).toBe(`CC<<xcc_other\n${evil}\nxcc_other\n`);
    expect(parseGithubEnv(text)).toEqual({ CC: evil });
  });

  it('writes one directory a line for GITHUB_PATH and refuses newlines', () => {
    expect(renderGithubPath(['/a b/c', '/d'])).toBe('/a b/c\n/d\n');
    expect(() => renderGithubPath(['/a\n/b'])).toThrow(XccError);
  });
});

describe('json', () => {
  it('is the plain map of variables', () => {
    expect(JSON.parse(renderEnv(NASTY, 'json'))).toEqual(NASTY);
  });
});

describe('format selection', () => {
  it.each([
    [{ GITHUB_ACTIONS: 'true', GITHUB_ENV: '/tmp/env' }, 'github'],
    [{ GITHUB_ACTIONS: 'true' }, 'sh'],
    [{ SHELL: '/usr/bin/fish' }, 'fish'],
    [{ SHELL: '/opt/microsoft/powershell/7/pwsh' }, 'pwsh'],
    [{ SHELL: '/bin/zsh' }, 'sh'],
    [{}, 'sh'],
  ])('%j -> %s', (env, format) => {
    expect(defaultEnvFormat(env)).toBe(format);
  });

  it('rejects an unknown format with the list of formats', () => {
    expect(() => parseEnvFormat('zsh')).toThrow(
      "unknown format 'zsh'; use one of sh, fish, pwsh, cmd, dotenv, github, json",
    );
  });
});
