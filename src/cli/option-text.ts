import type { CAC } from 'cac';

/**
 * cac parses with mri, which turns every value that looks like a number into a number: `--glibc=2.30`
 * and `--glibc 2.30` would arrive as 2.3, `--zig 0.20` as 0.2, and `{ type: [String] }` cannot undo
 * that. Options declared with `{ type: [textValue] }` receive the text exactly as typed:
 * `protectTextValues` marks their values before parsing (a marked value is not numeric) and
 * `textValue` removes the mark. A value-less use (`--glibc`) arrives as ''.
 */
const MARK = '\u001f';

export function textValue(value: unknown): string {
  if (value === true) return '';
  const text = String(value);
  return text.startsWith(MARK) ? text.slice(MARK.length) : text;
}

/** Marks the values of text options in `argv` (`--glibc=2.30`, `--glibc 2.30`), up to `--`. */
export function protectTextValues(argv: readonly string[], cli: CAC): string[] {
  const flags = textFlags(cli);
  const protectedArgv = [...argv];
  for (let index = 0; index < protectedArgv.length; index++) {
    const arg = protectedArgv[index]!;
    if (arg === '--') break;
    const equals = arg.indexOf('=');
    if (equals > 0 && flags.has(arg.slice(0, equals))) {
      protectedArgv[index] = `${arg.slice(0, equals + 1)}${MARK}${arg.slice(equals + 1)}`;
    } else if (flags.has(arg)) {
      // mri takes the next word as the value unless it starts with '-': mark exactly that word.
      const next = protectedArgv[index + 1];
      if (next !== undefined && !next.startsWith('-')) protectedArgv[++index] = `${MARK}${next}`;
    }
  }
  return protectedArgv;
}

function textFlags(cli: CAC): Set<string> {
  const flags = new Set<string>();
  for (const command of [cli.globalCommand, ...cli.commands]) {
    for (const option of command.options) {
      const type = option.config.type as unknown[] | undefined;
      if (type?.[0] !== textValue) continue;
      for (const flag of option.rawName.replace(/[<[].*$/, '').split(',')) flags.add(flag.trim());
    }
  }
  return flags;
}
