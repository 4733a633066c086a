/**
 * Files that ship beside the code: package.json and the data in toolchains/. Every reader resolves them
 * here, from this module's own URL one level below the package root. That holds for src/ (tests), for
 * tsc's dist/ (the library) and for the bundled CLI, whose chunks sit directly in dist/ too.
 */
export function packageFile(relative: string): URL {
  return new URL(`../${relative}`, import.meta.url);
}
