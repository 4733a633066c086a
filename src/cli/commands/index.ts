import type { CAC } from 'cac';
import { registerCache } from './cache.js';
import { registerDoctor } from './doctor.js';
import { registerEnv } from './env.js';
import { registerExec } from './exec.js';
import { registerInspect } from './inspect.js';
import { registerInstall } from './install.js';
import { registerLock } from './lock.js';
import { registerLs } from './ls.js';
import { registerPrune } from './prune.js';
import { registerTargets } from './targets.js';

/** Each command lives in its own file and registers itself; heavy modules are imported inside actions. */
export type RegisterCommand = (cli: CAC) => void;

export const commands: RegisterCommand[] = [
  registerEnv,
  registerExec,
  registerInstall,
  registerLock,
  registerLs,
  registerPrune,
  registerCache,
  registerInspect,
  registerDoctor,
  registerTargets,
];
