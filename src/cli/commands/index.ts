import type { CAC } from 'cac';

/** Each command lives in its own file and registers itself; heavy modules are imported inside actions. */
export type RegisterCommand = (cli: CAC) => void;

/**
 * Command modules by name, in help order, each loaded only when needed: a run of `xcc env` loads the env
 * command and what it imports (one chunk of the CLI bundle, see scripts/build-cli.ts), not the other
 * commands' code, and `eval "$(xcc env ...)"` runs at every shell start.
 */
export const commands: Record<string, () => Promise<RegisterCommand>> = {
  env: async () => (await import('./env.js')).registerEnv,
  exec: async () => (await import('./exec.js')).registerExec,
  run: async () => (await import('./run.js')).registerRun,
  dispatch: async () => (await import('./dispatch.js')).registerDispatch,
  setup: async () => (await import('./setup.js')).registerSetup,
  build: async () => (await import('./build.js')).registerBuild,
  checksums: async () => (await import('./checksums.js')).registerChecksums,
  install: async () => (await import('./install.js')).registerInstall,
  verify: async () => (await import('./verify.js')).registerVerify,
  lock: async () => (await import('./lock.js')).registerLock,
  ls: async () => (await import('./ls.js')).registerLs,
  prune: async () => (await import('./prune.js')).registerPrune,
  cache: async () => (await import('./cache.js')).registerCache,
  inspect: async () => (await import('./inspect.js')).registerInspect,
  lipo: async () => (await import('./lipo.js')).registerLipo,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
  targets: async () => (await import('./targets.js')).registerTargets,
};

/**
 * The commands a command line needs registered: the one it names; none for a bare `--version`; all of them
 * otherwise (help lists them, and an unknown name gets cac's error with the full list).
 */
export function commandsFor(argv: readonly string[]): string[] {
  const first = argv.find((arg) => !arg.startsWith('-'));
  if (first !== undefined && first in commands) return [first];
  const version = argv.includes('--version') || argv.includes('-v');
  const help = argv.includes('--help') || argv.includes('-h');
  return first === undefined && version && !help ? [] : Object.keys(commands);
}
