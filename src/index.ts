/** xcc's library API. The CLI is a thin layer over these functions; nothing here prints or exits. */
export { UsageError, XccError } from './errors.js';
export { cacheLayout, xccHome } from './home.js';
