/**
 * Splits a command line into arguments as a POSIX shell would for the simple cases people
 * type into a form: blanks separate, single and double quotes group, a backslash escapes.
 * Returns an error message for an unclosed quote.
 */
export function shellWords(line: string): string[] | { error: string } {
  const words: string[] = [];
  let word = '';
  let hasWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (
      char === '\\' && index + 1 < line.length && quote !== undefined
        ? '"$`\\'.includes(line[index + 1]!)
        : char === '\\' && index + 1 < line.length
    ) {
      word += line[++index];
      hasWord = true;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else word += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      hasWord = true;
    } else if (/\s/.test(char)) {
      if (hasWord) words.push(word);
      word = '';
      hasWord = false;
    } else {
      word += char;
      hasWord = true;
    }
  }
  if (quote !== undefined)
    return { error: `the ${quote === '"' ? 'double' : 'single'} quote is not closed` };
  if (hasWord) words.push(word);
  return words;
}
