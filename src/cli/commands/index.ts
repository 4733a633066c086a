import type { CAC } from 'cac';

/** Each command lives in its own file and registers itself; heavy modules are imported inside actions. */
export type RegisterCommand = (cli: CAC) => void;

export const commands: RegisterCommand[] = [];
