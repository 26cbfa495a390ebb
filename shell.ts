/** Shell quoting shared by every renderer that writes bash (guest roles, K3s scripts). */

/** POSIX single-quoting: any string becomes one bash word (a `'` inside becomes `'\''`). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
