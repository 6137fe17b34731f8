import type { PGlite } from '@electric-sql/pglite';

const code = (letters: string) => new Set([...letters].map((letter) => letter.charCodeAt(0)));
// Frontend messages of the extended query protocol: Parse, Bind, Describe, Execute, Close, Flush.
// Their state (the unnamed statement and portal) lives until the Sync that ends the sequence.
const EXTENDED = code('PBDECH');
// Sync ends a sequence; a simple Query is one of its own.
const ENDS = code('SQ');

/**
 * PGlite as pglite-socket's multiplexer should see it. The multiplexer runs one message at a
 * time from any of its connections and keeps to one connection only while `isInTransaction()`;
 * PGlite is one backend, so between one client's Parse and its Bind another client's Parse
 * replaced the unnamed statement ("bind message supplies 39 parameters, but prepared statement
 * "" requires 3"), or its rows went to the wrong query. Here a sequence counts as a
 * transaction until its Sync, so each client's Parse…Sync runs whole
 * (electric-sql/pglite#1046, still open in pglite-socket 0.2.17).
 */
export function withWholeSequences(db: PGlite): PGlite {
  let inSequence = false;
  return new Proxy(db, {
    get(target, property) {
      if (property === 'isInTransaction') return () => inSequence || target.isInTransaction();
      if (property === 'execProtocolRawStream') {
        return (message: Uint8Array, options: Parameters<PGlite['execProtocolRawStream']>[1]) => {
          const type = message[0] ?? 0;
          if (EXTENDED.has(type)) inSequence = true;
          else if (ENDS.has(type)) inSequence = false;
          return target.execProtocolRawStream(message, options);
        };
      }
      // The multiplexer rolls back what a client that went away left open: that ends its sequence too.
      if (property === 'exec') {
        return (...args: Parameters<PGlite['exec']>) => {
          inSequence = false;
          return target.exec(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
