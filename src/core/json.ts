/**
 * JSON as people write it in files: a UTF-8 byte order mark (editors on Windows add one) is read
 * past, and a key given twice in one object is refused by name — JSON.parse would keep the last one
 * silently, so `"minutes": 30, …, "minutes": 3000` would run as whichever came last. So is nesting
 * deeper than anything Coalmine reads, which the recursive checks after parsing would overflow on.
 *
 * @example
 * parseJsonText('\uFEFF{"a": 1}');      // { a: 1 }
 * parseJsonText('{"a": 1, "a": 2}');    // throws JsonInputError: a: given twice
 */

/** Objects and arrays nested deeper than this are refused: Coalmine's own formats nest a few levels. */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON that parses but that Coalmine refuses: `field` names the key given twice
 * (`traffic.requestsPerMinute`, `waves[0].targets`), or is undefined for the text as a whole.
 */
export class JsonInputError extends SyntaxError {
  constructor(
    readonly field: string | undefined,
    readonly reason: string,
  ) {
    super(field === undefined ? reason : `${field}: ${reason}`);
    this.name = 'JsonInputError';
  }
}

/**
 * JSON.parse, after a leading byte order mark is dropped; throws JSON.parse's SyntaxError for text
 * that is not JSON, and JsonInputError for a key given twice or nesting beyond MAX_JSON_DEPTH.
 */
export function parseJsonText(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const value: unknown = JSON.parse(body);
  checkKeysAndDepth(body);
  return value;
}

interface Frame {
  kind: 'object' | 'array';
  path: string;
  keys: Set<string>;
  /** Object: the next string is a key. */
  expectKey: boolean;
  /** Object: the key whose value comes next. Array: the index of the current item. */
  key: string;
  index: number;
}

/** Throws JsonInputError at the first key given twice in one object, or nesting too deep, in text JSON.parse has already accepted. */
function checkKeysAndDepth(text: string): void {
  const stack: Frame[] = [];
  const childPath = (): string => {
    const top = stack.at(-1);
    if (!top) return '';
    if (top.kind === 'array') return `${top.path}[${top.index}]`;
    return top.path ? `${top.path}.${top.key}` : top.key;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const top = stack.at(-1);
    if (char === '{' || char === '[') {
      stack.push({ kind: char === '{' ? 'object' : 'array', path: childPath(), keys: new Set(), expectKey: char === '{', key: '', index: 0 });
      if (stack.length > MAX_JSON_DEPTH) throw new JsonInputError(undefined, `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',' && top) {
      if (top.kind === 'object') top.expectKey = true;
      else top.index++;
    } else if (char === '"') {
      // The text is valid JSON: a string ends at the first quote not escaped by a backslash.
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.kind === 'object' && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) throw new JsonInputError(top.path ? `${top.path}.${key}` : key, 'given twice in the same object (JSON keeps only the last; remove one)');
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    }
  }
}
