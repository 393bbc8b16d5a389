/**
 * Tables keyed by text from outside (a server's INFO section names, a host's
 * chain names, a word in a slash command) must not reach Object.prototype:
 * with a plain `{}`, `t['__proto__'] ??= {}` hands back Object.prototype
 * itself, and what is written into it next shows up on every object of the
 * process; `t['constructor']` is a function nobody put there.
 */

/** An empty table with no prototype: every key, `__proto__` included, is an ordinary own key. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `table[key]` when the table itself holds the key, never an inherited property. */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
