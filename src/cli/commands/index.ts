import type { CAC } from 'cac';
import { registerInspect } from './inspect.js';

/** Each command lives in its own file and registers itself; heavy modules are imported inside actions. */
export type RegisterCommand = (cli: CAC) => void;

export const commands: RegisterCommand[] = [registerInspect];
