import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The test cache can hold a Wine prefix, whose z: drive links to /: never look for tests in there.
    exclude: ['**/node_modules/**', 'test/.cache/**'],
    // Prepares the test Zig once per run and provides it to tests (test/support/provided-zig.ts).
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    // `fast`: a test of a file that installs many times, picked for `npm run test:fast` (vitest.fast.config.ts).
    tags: [
      { name: 'fast', description: 'in npm run test:fast, which CI runs on every supported Node version' },
    ],
    // Two files at a time even on two cores (vitest's default there is one): most files spend their time
    // waiting on zig, go, qemu, Wine or a loopback server, and the suite used 1.6 of 2 cores one file
    // at a time (a cold .ci/run, 54 min). More cores: vitest's default, one fewer than the machine has.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
