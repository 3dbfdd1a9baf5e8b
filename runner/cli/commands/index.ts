import type { Command } from 'commander';

/** Every CLI verb lives in its own file and registers itself here. */
export const commands: Array<(program: Command) => void> = [];
