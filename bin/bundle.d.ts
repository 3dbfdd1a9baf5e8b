/** Absolute path of dist/cli's entry under `root` when it matches the sources, else null. */
export function freshBundle(root: string): string | null;
