/**
 * Every GitHub deployment we create carries the record's id in its payload, so its deliveries
 * find the record even before we stored GitHub's id.
 */
export function markerPayload(recordId: string) {
  return { deployledger: { id: recordId } };
}

/** The record id in a GitHub deployment's payload (an object, or a JSON string), if any. */
export function markerOf(payload: unknown): string | null {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const id = (value as { deployledger?: { id?: unknown } } | null)?.deployledger?.id;
  return typeof id === 'string' ? id : null;
}
