import type { CAC } from 'cac';
import { UsageError } from '../../errors.js';

interface InspectOptions {
  json?: boolean;
  expect?: string | string[];
  host?: string;
}

/** `xcc inspect FILE...`: what a binary is, where it runs, and whether it matches a release gate. */
export function registerInspect(cli: CAC): void {
  cli
    .command(
      'inspect <...files>',
      'Tell what a binary is and where it runs (format, target, libc, CPU level, Go build info)',
    )
    .option('--json', 'Print a JSON report (a stable shape, for CI)')
    .option(
      '--expect <facts>',
      "Exit 1 unless every fact holds, e.g. 'linux/arm64,static,!cgo' (see docs/inspect.md)",
    )
    .option('--host <GOOS/GOARCH>', 'Judge "runs on this host" for that machine instead of this one')
    .example('  xcc inspect ./hello-linux-arm64')
    .example("  xcc inspect --expect 'linux/arm64,static,glibc<=2.28' dist/*")
    .example('  xcc inspect --json ./app.exe')
    .action(async (files: string[], options: InspectOptions) => {
      process.exitCode = await runInspect(files, options);
    });
}

async function runInspect(files: string[], options: InspectOptions): Promise<number> {
  // Lazy: the parsers are only loaded when the command runs, not for every xcc invocation.
  const { parseExpectations } = await import('../../inspect/expect.js');
  const { detectHost } = await import('../../inspect/host.js');
  const { inspectFiles, renderJson, renderText } = await import('../../inspect/report.js');
  const expectations =
    options.expect === undefined ? [] : parseExpectations([options.expect].flat().join(','));
  const host = options.host === undefined ? detectHost() : parseHost(options.host);
  const report = await inspectFiles(files, host, expectations);
  process.stdout.write(options.json ? renderJson(report) : renderText(report));
  for (const file of report.files) {
    if (file.error !== null) process.stderr.write(`xcc: ${file.error}\n`);
    for (const result of file.expectations.filter((candidate) => !candidate.ok)) {
      process.stderr.write(`xcc: ${file.file}: expected ${result.expectation}, but it is ${result.actual}\n`);
    }
  }
  return report.ok ? 0 : 1;
}

function parseHost(value: string): { os: string; arch: string } {
  const match = /^([a-z0-9]+)\/([a-z0-9]+)$/.exec(value);
  if (match === null) throw new UsageError(`--host '${value}' is not GOOS/GOARCH; write it like linux/arm64`);
  return { os: match[1]!, arch: match[2]! };
}
