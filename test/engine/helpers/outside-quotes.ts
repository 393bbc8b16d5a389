/**
 * What a POSIX shell reads outside single-quoted words: nothing is special
 * inside '…', and outside them a backslash makes the next character literal.
 * A payload that survives here would run if the line were pasted.
 */
export function outsideSingleQuotes(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return line.slice(i);
      i = end;
    } else out += line[i];
  }
  return out;
}
