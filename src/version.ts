import { readFileSync } from 'node:fs';
import { packageFile } from './package-files.js';

/** The package version, read from package.json (one small synchronous read). */
export function version(): string {
  const manifest = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
