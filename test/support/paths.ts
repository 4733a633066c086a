import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Real upstream data shared by every checkout (see ../shared/fixtures/README.md). */
export const sharedFixtures = path.resolve(projectRoot, '../shared/fixtures');
/** The built CLI: tests spawn it exactly as a user would run it. */
export const cliBin = path.join(projectRoot, 'bin', 'xcc.js');
