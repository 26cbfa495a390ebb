/** Bash source shared by every renderer that writes shell (guest roles, K3s scripts, reconcilers). */

/** POSIX single-quoting: any string becomes one bash word (a `'` inside becomes `'\\''`). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export type ShellValue = string | number | readonly string[];

const VARIABLE = /^[A-Z][A-Z0-9_]*$/;

/** A value as bash words: a whole number as is, a string as one quoted word, a list as quoted words. */
export function shellWords(value: ShellValue, what: string): string {
  if (typeof value === "number") {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${what} must be a whole number, got ${value}`);
    return String(value);
  }
  return typeof value === "string" ? shellQuote(value) : value.map(shellQuote).join(" ");
}

/** `NAME=value`; a list becomes an array. */
export function shellAssignment(name: string, value: ShellValue): string {
  if (!VARIABLE.test(name)) throw new Error(`bad shell variable name ${name}`);
  const words = shellWords(value, name);
  return typeof value === "object" ? `${name}=(${words})` : `${name}=${words}`;
}

/**
 * The command line a remote.Command runs: the script as one argument of `bash -c`, as root through
 * passwordless sudo when `root` (`-n`: fail instead of waiting for a password). stdin passes through
 * to the script; `name` is its $0 (what `ps` and error messages show).
 */
export function remoteCommand(script: string, opts: { name: string; root: boolean }): string {
  const bash = `/bin/bash -c ${shellQuote(script)} ${shellQuote(opts.name)}`;
  return opts.root ? `sudo -n ${bash}` : bash;
}
