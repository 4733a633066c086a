import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

// Every test file starts from a clean slate: none of xcc's settings leak in from the developer's shell,
// and the cache is a fresh directory that is removed afterwards. Kept: the test suite's own switches.
const TEST_SWITCHES = new Set([
  'XCC_E2E',
  'XCC_E2E_JOBS',
  'XCC_E2E_MATRIX',
  'XCC_TEST_CACHE',
  'XCC_TEST_SEED',
]);
for (const name of Object.keys(process.env)) {
  if (name.startsWith('XCC_') && !TEST_SWITCHES.has(name)) delete process.env[name];
}
// npm exports its own settings to scripts (`npm test`): a proxy or `offline` from the developer's .npmrc
// must not change what the tests see either.
const networkSettings = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
const npmNetworkSettings = [
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_offline',
];
for (const name of [...networkSettings, ...npmNetworkSettings]) {
  delete process.env[name];
}

const home = mkdtempSync(path.join(os.tmpdir(), 'xcc-test-home-'));
process.env.XCC_HOME = home;
afterAll(() => rmSync(home, { recursive: true, force: true }));
