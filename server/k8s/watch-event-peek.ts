// A watch event's type and its object's name, read off the line without decoding it. A burst of
// one object's updates (a watch catching up after a reconnect, a rollout's status changing while a
// batch is written) keeps only the newest; the rest are never decoded. JSON.parse of every line was
// a quarter of the server's CPU in the bench's watch waves (docs/benchmarks-history.md).

/** What a watch line says before it is decoded. */
export interface PeekedEvent {
  type: string;
  namespace: string | undefined;
  name: string | undefined;
  resourceVersion: string | undefined;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const COMMA = 44;
const COLON = 58;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The closing quote of the string whose content starts at `from`; -1 if none. */
function stringEnd(text: string, from: number): number {
  let end = text.indexOf('"', from);
  while (end !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return -1;
}

/** Just past the value that starts at `i` (a string, number, literal, object or array); -1 if it does not end. */
function valueEnd(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) {
    const end = stringEnd(text, i + 1);
    return end === -1 ? -1 : end + 1;
  }
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || isSpace(d)) return i;
      i++;
    }
    return -1;
  }
  let depth = 0;
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d === QUOTE) {
      const end = stringEnd(text, i + 1);
      if (end === -1) return -1;
      i = end + 1;
      continue;
    }
    i++;
    if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
    else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) return i;
  }
  return -1;
}

/** Whether the object's namespace, name and resourceVersion were all read. */
export function namesRead(peeked: PeekedEvent): boolean {
  return peeked.namespace !== undefined && peeked.name !== undefined && peeked.resourceVersion !== undefined;
}

/** Whether the key whose text runs from `start` to `end` (its quotes excluded) is `name`. */
function keyIs(text: string, start: number, end: number, name: string): boolean {
  return end - start === name.length && text.startsWith(name, start);
}

/** The string value at `at` (undefined when it has escapes: names and versions have none), and where it ends. */
function stringAt(text: string, at: number): { value: string | undefined; end: number } {
  if (text.charCodeAt(at) !== QUOTE) return { value: undefined, end: -1 };
  const end = stringEnd(text, at + 1);
  if (end === -1) return { value: undefined, end: -1 };
  const value = text.slice(at + 1, end);
  return { value: value.includes('\\') ? undefined : value, end: end + 1 };
}

const EVENT = 0;
const OBJECT = 1;
const METADATA = 2;

/**
 * The event's type and its object's namespace, name and resourceVersion, read from the line as
 * the API server writes it (`{"type":…,"object":{…,"metadata":{…}}}`, in any key order); null when
 * the line is not laid out so: then the caller decodes it. A value with escapes reads as
 * undefined (names and versions have none). Keys are taken as unique, as the API server writes
 * them. Reading stops once all four are known: a typed object's metadata starts with its name,
 * namespace and version, before its labels, annotations and managed fields.
 */
export function peekWatchEvent(line: string): PeekedEvent | null {
  const peeked: PeekedEvent = { type: '', namespace: undefined, name: undefined, resourceVersion: undefined };
  let typed = false;
  let metadataRead = false;
  let level = EVENT;
  let i = skipSpace(line, 0);
  if (line.charCodeAt(i) !== OPEN_OBJECT) return null;
  i = skipSpace(line, i + 1);
  for (;;) {
    if (line.charCodeAt(i) === CLOSE_OBJECT) {
      // The end of the level's object (empty, or after its last member).
      if (level === METADATA) metadataRead = true;
      if (level === EVENT) break;
      if (metadataRead && typed) break;
      level--;
      i = skipSpace(line, i + 1);
      const next = line.charCodeAt(i);
      if (next === COMMA) i = skipSpace(line, i + 1);
      else if (next !== CLOSE_OBJECT) return null;
    } else {
      if (line.charCodeAt(i) !== QUOTE) return null;
      const keyStart = i + 1;
      const keyEnd = stringEnd(line, keyStart);
      if (keyEnd === -1) return null;
      i = skipSpace(line, keyEnd + 1);
      if (line.charCodeAt(i) !== COLON) return null;
      i = skipSpace(line, i + 1);
      const opens = line.charCodeAt(i) === OPEN_OBJECT;
      if (level === EVENT && opens && keyIs(line, keyStart, keyEnd, 'object')) {
        level = OBJECT;
        i = skipSpace(line, i + 1);
        continue;
      }
      if (level === OBJECT && opens && keyIs(line, keyStart, keyEnd, 'metadata')) {
        level = METADATA;
        i = skipSpace(line, i + 1);
        continue;
      }
      if (level === EVENT && keyIs(line, keyStart, keyEnd, 'type')) {
        const { value, end } = stringAt(line, i);
        if (value === undefined) return null;
        peeked.type = value;
        typed = true;
        i = end;
      } else if (level === METADATA && isNameKey(line, keyStart, keyEnd)) {
        const key = line.slice(keyStart, keyEnd) as 'name' | 'namespace' | 'resourceVersion';
        const { value, end } = stringAt(line, i);
        if (end === -1) return null;
        peeked[key] = value;
        if (typed && namesRead(peeked)) return peeked;
        i = end;
      } else {
        i = valueEnd(line, i);
        if (i === -1) return null;
      }
      i = skipSpace(line, i);
      const next = line.charCodeAt(i);
      if (next === COMMA) i = skipSpace(line, i + 1);
      else if (next !== CLOSE_OBJECT) return null;
    }
  }
  return metadataRead && typed ? peeked : null;
}

function isNameKey(text: string, start: number, end: number): boolean {
  return (
    keyIs(text, start, end, 'name') ||
    keyIs(text, start, end, 'namespace') ||
    keyIs(text, start, end, 'resourceVersion')
  );
}
