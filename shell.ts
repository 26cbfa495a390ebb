/** Bash source shared by every renderer that writes shell (guest roles, K3s scripts, reconcilers). */
import { readFileSync } from "fs";
import { join } from "path";

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

/**
 * Fills a script template's `@KEY@` placeholders with shell-quoted values; every placeholder needs a
 * value and every value a placeholder. `file` names the template in errors.
 */
export function fillTemplate(template: string, values: Record<string, ShellValue>, file: string): string {
  const used = new Set<string>();
  const text = template.replace(/@([A-Z_]+)@/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`${file}: no value for @${key}@`);
    used.add(key);
    return shellWords(values[key], `script value ${key}`);
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`${file}: no placeholder for ${unused.join(", ")}`);
  return text;
}

/**
 * A script template from `dir`, with each `# @include <file>` line replaced by that file of `dir`
 * (its leading comment, which documents the file itself, left out), then filled as fillTemplate
 * does. Shell pieces that several scripts share live once, and the scripts still run as one file.
 */
export function renderScriptTemplate(dir: string, file: string, values: Record<string, ShellValue>): string {
  const template = readFileSync(join(dir, file), "utf8").replace(/^# @include (\S+)\n/gm, (_, part: string) => {
    const lines = readFileSync(join(dir, part), "utf8").split("\n");
    const body = lines.slice(lines.findIndex((l) => !l.startsWith("#")));
    return body.join("\n").replace(/\n*$/, "\n");
  });
  return fillTemplate(template, values, file);
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
