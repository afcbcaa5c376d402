/**
 * Private: the lengths of the filter lexer's number, dotted-number and name
 * tokens at a position, scanned character by character. Each function gives
 * exactly the length of the sticky regular expression named in its doc (the
 * scanner.l patterns; tests compare them on random text): a token is read
 * once per distinct `--expr` of a rule set, cold, where a pattern's first
 * runs compile it and every run allocates its match.
 *
 * @module
 */

/** Whether `code` is an ASCII decimal digit. */
function _isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Whether `code` is an ASCII hex digit. */
function _isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || ((code | 0x20) >= 97 && (code | 0x20) <= 102);
}

/** Whether `code` is an ASCII letter or digit. */
function _isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || ((code | 0x20) >= 97 && (code | 0x20) <= 122);
}

/**
 * The length of the number at `i` (0: none), as the sticky
 * `/(?:0[xX][0-9A-Fa-f]+|[0-9]+)/y` matches it: `0x` and hex digits, else
 * decimal digits.
 */
export function _numberLength(source: string, i: number): number {
  const n = source.length;
  if (i >= n || !_isDigit(source.charCodeAt(i))) return 0;
  if (
    source.charCodeAt(i) === 48 && i + 2 < n && (source.charCodeAt(i + 1) | 0x20) === 120 &&
    _isHex(source.charCodeAt(i + 2))
  ) {
    let end = i + 3;
    while (end < n && _isHex(source.charCodeAt(end))) end++;
    return end - i;
  }
  let end = i + 1;
  while (end < n && _isDigit(source.charCodeAt(end))) end++;
  return end - i;
}

/**
 * The length of the dotted number at `i` (0: none), as the sticky
 * `/NUM(?:\.NUM){1,3}/y` matches it (NUM: {@linkcode _numberLength}'s
 * pattern): a number and one to three more, each after a dot. (The greedy
 * pattern keeps each part as long as it goes: a shorter part would leave a
 * digit where the next dot must be.)
 */
export function _dottedLength(source: string, i: number): number {
  let end = i + _numberLength(source, i);
  if (end === i) return 0;
  let parts = 0;
  while (parts < 3 && end < source.length && source.charCodeAt(end) === 46) {
    const part = _numberLength(source, end + 1);
    if (part === 0) break;
    end += 1 + part;
    parts++;
  }
  return parts === 0 ? 0 : end - i;
}

/**
 * The length of the name at `i` (0: none), as the sticky
 * `/[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y` matches it: a letter or
 * digit, then the longest run of letters, digits, `.`, `-` and `_` that
 * ends in a letter, a digit or a dot.
 */
export function _nameLength(source: string, i: number): number {
  const n = source.length;
  if (i >= n || !_isAlphanumeric(source.charCodeAt(i))) return 0;
  let end = i + 1;
  let last = end;
  while (end < n) {
    const code = source.charCodeAt(end);
    if (_isAlphanumeric(code) || code === 46) last = ++end;
    else if (code === 45 || code === 95) end++;
    else break;
  }
  return last - i;
}
