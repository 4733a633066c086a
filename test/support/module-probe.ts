import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A probe for what a Node process loads through CommonJS: `--require` its `flag`'s file (in NODE_OPTIONS),
 * and on exit it writes the files in require.cache (the CLI bundle's, and packages that are ES modules
 * loaded through require(esm)) and the builtins Node loaded (process.moduleLoadList) to a file in `dir`,
 * which `loaded()` reads back.
 */
export function requireProbe(dir: string): {
  flag: string;
  loaded(): { required: string[]; builtins: string[] };
} {
  const out = path.join(dir, 'required.json');
  const probe = path.join(dir, 'require-probe.cjs');
  // NODE_OPTIONS takes the path in double quotes, without escapes.
  if (/["\\]/.test(probe)) throw new Error(`the probe's path cannot go in NODE_OPTIONS: ${probe}`);
  writeFileSync(
    probe,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)},
  JSON.stringify({ required: Object.keys(require.cache), builtins: process.moduleLoadList })));
`,
  );
  return {
    flag: `--require "${probe}"`,
    loaded: () => JSON.parse(readFileSync(out, 'utf8')) as { required: string[]; builtins: string[] },
  };
}

/**
 * A probe for the ES modules a Node process resolves: `--import` its `flag`'s file, and a resolve hook
 * appends every URL it resolves to a file in `dir`, which `resolved()` reads back. Tests use it to show
 * what a start-up path does not load. (CommonJS requires do not pass through the hook.)
 */
export function resolveProbe(dir: string): { flag: string; resolved(): string[] } {
  const log = path.join(dir, 'resolved.txt');
  writeFileSync(log, '');
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, resolved.url + '\\n');
  return resolved;
}`;
  const register = path.join(dir, 'resolve-probe.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
`,
  );
  return {
    flag: `--import=${pathToFileURL(register).href}`,
    resolved: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}
