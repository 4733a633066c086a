import type { CAC } from 'cac';
import { registerTargets } from './targets.js';

/** Each command lives in its own file and registers itself; heavy modules are imported inside actions. */
export type RegisterCommand = (cli: CAC) => void;

export const commands: RegisterCommand[] = [registerTargets];
