/** PostgreSQL's type oid of `text`, the element type a `text[]` parameter's binary form names. */
const TEXT_OID = 25;
const HEADER_BYTES = 20;

/**
 * A `text[]` parameter in PostgreSQL's binary array format (what array_recv reads: dimensions,
 * a null flag, the element type, the length and lower bound, then each element as its byte
 * length and bytes; -1 for NULL). node-postgres sends a Buffer parameter as bytes, so large
 * elements (a delivery's body) go in as they are: nothing is escaped or quoted around them, as
 * the text form (`{"…"}`) would need for every quote of a JSON body. Strings are written as
 * UTF-8, which PostgreSQL checks on the way in as it does for any text parameter.
 */
export function binaryTextArray(items: ReadonlyArray<string | Uint8Array | null>): Buffer {
  let size = HEADER_BYTES;
  let hasNull = 0;
  for (const item of items) {
    size += 4;
    if (item === null) hasNull = 1;
    else size += typeof item === 'string' ? Buffer.byteLength(item) : item.byteLength;
  }
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(hasNull, 4);
  out.writeUInt32BE(TEXT_OID, 8);
  out.writeInt32BE(items.length, 12);
  out.writeInt32BE(1, 16); // lower bound
  let at = HEADER_BYTES;
  for (const item of items) {
    if (item === null) {
      at = out.writeInt32BE(-1, at);
    } else if (typeof item === 'string') {
      const length = out.write(item, at + 4);
      out.writeInt32BE(length, at);
      at += 4 + length;
    } else {
      out.writeInt32BE(item.byteLength, at);
      out.set(item, at + 4);
      at += 4 + item.byteLength;
    }
  }
  return out;
}
