import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { Env } from './home.js';

/** The full path of `name` on PATH (with PATHEXT on Windows), as a shell would find it, or undefined. */
export function findExecutable(
  name: string,
  env: Env = process.env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const extensions = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';') : [''];
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, name + extension);
      try {
        if (!statSync(candidate).isFile()) continue;
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {}
    }
  }
  return undefined;
}
