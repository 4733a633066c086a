#!/usr/bin/env node
// CommonJS, like the bundle it loads: Node starts it without its ES module loader (see scripts/build-cli.ts).
// The bundle requires packages that are ES modules (cac, execa), which needs require(esm): Node 20.19+ or
// 22.12+. Older Nodes would fail with a stack trace; say it in one line instead.
if (!process.features.require_module) {
  process.stderr.write(
    `xcc: needs Node.js 20.19+ or 22.12+ (require of ES modules); this is ${process.version}, so install a newer Node\n`,
  );
  process.exitCode = 1;
} else {
  require('../dist/xcc.cjs').runMain(process.argv.slice(2));
}
