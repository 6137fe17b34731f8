// How the watcher's requests to the API server fail, in words and numbers.

export function describe(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, statusCode, message } = error as {
      code?: unknown;
      statusCode?: unknown;
      message?: unknown;
    };
    const status = statusCode ?? (typeof code === 'number' ? code : undefined);
    const text = typeof message === 'string' ? message.split('\n')[0] : String(error);
    return status ? `${status} ${text}` : (text ?? String(error));
  }
  return String(error);
}

/** The HTTP status of a failed request (client-node's ApiException has `code`, the watch `statusCode`). */
export function statusCode(error: unknown): number | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  return typeof code === 'number' ? code : undefined;
}
