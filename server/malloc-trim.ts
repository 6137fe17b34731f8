// glibc's malloc keeps memory it got during a burst once it is freed, wherever a block still in
// use sits above it: after the bench's burst 15–25 MiB of the main heap was free but resident
// (malloc_info), and malloc_trim(0), which gives back the free pages inside the heap too, freed
// it. Node has no binding for it; Node 26's node:ffi (experimental) can call it, so where that
// module exists (and glibc's libc.so.6 opens), the server calls it after the collection once
// quiet (heap-trim.ts). Elsewhere (Node 20–24, musl, a permission model without --allow-ffi)
// this does nothing.

type Trim = () => void;
type Ffi = {
  dlopen(
    path: string,
    definitions: Record<string, { arguments: string[]; return: string }>,
  ): {
    functions: Record<string, (...args: unknown[]) => unknown>;
  };
};

let trim: Trim | null | undefined;

/** Gives the free memory inside malloc's heaps back to the system (Linux glibc, Node 26+). */
export function trimMalloc(): void {
  trim ??= openTrim();
  trim?.();
}

function openTrim(): Trim | null {
  if (process.platform !== 'linux' || !process.report?.getReport) return null;
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  if (!report.header?.glibcVersionRuntime) return null;
  try {
    const ffi = withoutExperimentalWarning(() => process.getBuiltinModule('node:ffi') as Ffi | undefined);
    const malloc_trim = ffi?.dlopen('libc.so.6', { malloc_trim: { arguments: ['uint64'], return: 'int32' } })
      .functions.malloc_trim;
    return malloc_trim ? () => void malloc_trim(0n) : null;
  } catch {
    return null;
  }
}

/** Loading node:ffi warns once on stderr (not a JSON log line); the server only calls one libc function. */
function withoutExperimentalWarning<T>(load: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' && String(warning).includes('FFI')) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emit;
  }
}
