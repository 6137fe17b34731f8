/** One numeric series of a sample: its name (with labels, as exposed) and value. */
export interface MetricValue {
  name: string;
  value: number;
}

export const MAX_SERIES = 1000;

/**
 * Reads a metrics document: JSON (an object of numbers, nested objects joined with dots) when
 * the body is JSON, else the Prometheus text format. Non-finite values are left out.
 */
export function parseMetrics(contentType: string, text: string): MetricValue[] {
  const trimmed = text.trim();
  const looksJson = /json/i.test(contentType) || trimmed.startsWith('{');
  const values = looksJson ? parseJson(trimmed) : parsePrometheusText(text);
  if (values.length === 0) {
    throw new Error(
      'the endpoint answered, but no numeric metric could be read (expected Prometheus text or JSON)',
    );
  }
  return values.slice(0, MAX_SERIES);
}

function parseJson(text: string): MetricValue[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`the endpoint's JSON does not parse: ${(error as Error).message}`);
  }
  const values: MetricValue[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'number' && Number.isFinite(value)) values.push({ name: path, value });
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
    }
  };
  walk(document, '');
  return values;
}

// name{labels} value [timestamp]; label values are quoted and may contain escaped quotes or braces.
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;

/**
 * The sample lines of the Prometheus text exposition format. Series-level on purpose: each
 * histogram bucket or summary quantile is a series of its own, as Prometheus stores it.
 */
export function parsePrometheusText(text: string): MetricValue[] {
  const values: MetricValue[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match?.[1] || !match[3]) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) values.push({ name: match[1] + (match[2] ?? ''), value });
  }
  return values;
}
