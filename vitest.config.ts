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
    testTimeout: 60_000,
    hookTimeout: 600_000,
  },
});
