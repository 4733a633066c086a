import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The fast part of the suite (`npm run test:fast`), which CI runs again on every Node version users run
 * (.ci/run): unit tests and the CLI through bin/xcc.cjs, with no libc build and at most one Zig install
 * per file. Together with the tests tagged `fast` (one real install from a loopback mirror, and the warm
 * `xcc env` and `xcc exec`, from files that install many times) it takes a few minutes on two cores.
 *
 * The Action runs on whatever `node` the runner has, so its bundle and workflows are here, and its
 * action.yml checks and refusals are tagged `fast` (test/action/action.test.ts installs and builds).
 * Left out: test/e2e, test/dispatch (cgo builds and GoReleaser), test/inspect, test/doctor and test/toolchain's quirks and prewarm (they build
 * programs and libcs); test/reliability and test/infra (hundreds of installs and attacks, and the test
 * support itself); xz-wasm and install-manifest (the decoder and the files record on large inputs: the
 * tagged install covers both on the real Zig); credentials (four installs); sysroot (Debian packages through
 * apt, and cgo builds against them).
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/resolve/*.test.ts',
      'test/zig/*.test.ts',
      'test/toolchain/{cached,macos-sdk,render,project-config,lockfile,wrappers,dispatch}.test.ts',
      'test/cli/*.test.ts',
      'test/library/*.test.ts',
      'test/home/*.test.ts',
      'test/action/{bundle,workflow}.test.ts',
    ],
    exclude: [
      ...(base.test?.exclude ?? []),
      'test/zig/{install,install-manifest,xz-wasm}.test.ts',
      'test/cli/{credentials,env,sysroot}.test.ts',
    ],
  },
});
