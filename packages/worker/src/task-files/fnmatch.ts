/**
 * Python's fnmatch for one path component (what glob uses): `*` any run of characters,
 * `?` one character, `[seq]` / `[!seq]` a set with ranges, `]` first in a set is literal,
 * an unclosed `[` is literal, a backslash is an ordinary character, case-sensitive.
 */
export function fnmatchRegExp(pattern: string): RegExp {
  let source = '';
  let i = 0;
  let afterStar = false;
  while (i < pattern.length) {
    const char = pattern[i] as string;
    i += 1;
    const star = char === '*';
    if (star) {
      if (!afterStar) source += '.*';
    } else if (char === '?') {
      source += '.';
    } else if (char === '[') {
      let j = i;
      if (pattern[j] === '!') j += 1;
      if (pattern[j] === ']') j += 1;
      while (j < pattern.length && pattern[j] !== ']') j += 1;
      if (j >= pattern.length) {
        source += '\\[';
      } else {
        source += setSource(pattern.slice(i, j));
        i = j + 1;
      }
    } else {
      source += escapeChar(char);
    }
    afterStar = star;
  }
  return new RegExp(`^(?:${source})$`, 'su');
}

function escapeChar(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

function escapeSetChar(char: string): string {
  return /[\\^\][-]/.test(char) ? `\\${char}` : char;
}

/** A character set, with Python's rules: `!` negates, empty or reversed ranges match nothing. */
function setSource(body: string): string {
  let negated = false;
  let rest = body;
  if (rest.startsWith('!')) {
    negated = true;
    rest = rest.slice(1);
  }
  const chars = [...rest];
  const parts: string[] = [];
  for (let k = 0; k < chars.length; k++) {
    const low = chars[k] as string;
    if (chars[k + 1] === '-' && k + 2 < chars.length) {
      const high = chars[k + 2] as string;
      if ((low.codePointAt(0) ?? 0) <= (high.codePointAt(0) ?? 0)) {
        parts.push(`${escapeSetChar(low)}-${escapeSetChar(high)}`);
      }
      k += 2;
    } else {
      parts.push(escapeSetChar(low));
    }
  }
  if (parts.length === 0) return negated ? '.' : '(?!)';
  return `[${negated ? '^' : ''}${parts.join('')}]`;
}

/** Whether a pattern has glob magic (`*`, `?` or `[`), as Python's glob.has_magic. */
export function hasMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}
