import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

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
