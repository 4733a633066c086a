/**
 * node:crypto, loaded on first use. Importing it costs more than all the rest of a warm `xcc env` (the
 * shell-startup path), which never needs it; modules on that path call this instead of importing it.
 */
export function crypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}
