/**
 * Reads the text `rollupRows` (dora-rollups.ts) gives per environment, in place: days separated
 * by `|`, a day's fields by `;` (the counts, then each histogram as a `,` list of float8 as
 * PostgreSQL prints them). A month of busy days over every environment is about a million numbers:
 * as one string per environment they cost the driver and Prisma nothing per number, and are read
 * here without a string or an array per day.
 */

/** One day of the `dora_day` rollup (migrations 20261211000200_dora_rollups, 20261211000800_dora_kind). */
export interface RollupDay {
  /** The trend bucket the day falls into, counted from the window's first day. */
  bucket: number;
  deployments: number;
  failures: number;
  lead_samples: number;
  lead_exact: boolean;
  incidents: number;
  restored: number;
  restored_by_rollback: number;
  restore_exact: boolean;
  rework: number;
  rollbacks: number;
  after_failure: number;
  /** [value, count, …] pairs: seconds when `*_exact`, else `dora_bucket` numbers (server/dora/median.ts). */
  lead: Pairs;
  restore: Pairs;
}

/** The first `length` numbers of `values`, reused from day to day. */
export interface Pairs {
  values: Float64Array;
  length: number;
}

const [COMMA, DOT, SEMICOLON, BAR, ZERO, NINE] = [44, 46, 59, 124, 48, 57];

/** Calls `visit` with each day of `text`, in order; the day (and its pairs) is reused. */
export function forEachRollupDay(text: string, visit: (day: RollupDay) => void): void {
  const pairs = (): Pairs => ({ values: new Float64Array(256), length: 0 });
  const day: RollupDay = {
    bucket: 0,
    deployments: 0,
    failures: 0,
    lead_samples: 0,
    lead_exact: false,
    incidents: 0,
    restored: 0,
    restored_by_rollback: 0,
    restore_exact: false,
    rework: 0,
    rollbacks: 0,
    after_failure: 0,
    lead: pairs(),
    restore: pairs(),
  };
  let at = 0;
  // An integer field (the counts, the bucket; booleans as 0/1) and the separator after it.
  const integer = () => {
    let value = 0;
    let sign = 1;
    if (text.charCodeAt(at) === 45) {
      sign = -1;
      at++;
    }
    for (let code = text.charCodeAt(at); code >= ZERO && code <= NINE; code = text.charCodeAt(++at))
      value = value * 10 + (code - ZERO);
    at++;
    return sign * value;
  };
  const list = (into: Pairs) => {
    into.length = 0;
    while (at < text.length) {
      const code = text.charCodeAt(at);
      if (code === SEMICOLON || code === BAR) break;
      at = number(text, at, into);
      if (text.charCodeAt(at) === COMMA) at++;
    }
    at++;
  };
  while (at < text.length) {
    day.bucket = integer();
    day.deployments = integer();
    day.failures = integer();
    day.lead_samples = integer();
    day.lead_exact = integer() === 1;
    day.incidents = integer();
    day.restored = integer();
    day.restored_by_rollback = integer();
    day.restore_exact = integer() === 1;
    day.rework = integer();
    day.rollbacks = integer();
    day.after_failure = integer();
    list(day.lead);
    list(day.restore);
    visit(day);
  }
}

/**
 * One float8 as PostgreSQL prints it ("12", "0.5", "1e+06"), appended to `into`; returns where it
 * ends. A plain decimal of at most 15 digits is its digits over a power of ten, which is exactly
 * what Number() gives (both values are exact doubles, so the division rounds once); anything else
 * (an exponent, a sign, more digits) goes through Number().
 */
function number(text: string, start: number, into: Pairs): number {
  let end = start;
  let digits = 0;
  let mantissa = 0;
  let scale = -1;
  let plain = true;
  for (; end < text.length; end++) {
    const code = text.charCodeAt(end);
    if (code === COMMA || code === SEMICOLON || code === BAR) break;
    if (code >= ZERO && code <= NINE) {
      mantissa = mantissa * 10 + (code - ZERO);
      digits++;
      if (scale >= 0) scale++;
    } else if (code === DOT && scale < 0) scale = 0;
    else plain = false;
  }
  if (into.length === into.values.length) {
    const grown = new Float64Array(into.values.length * 2);
    grown.set(into.values);
    into.values = grown;
  }
  into.values[into.length++] =
    plain && digits > 0 && digits <= 15
      ? mantissa / 10 ** Math.max(scale, 0)
      : Number(text.slice(start, end));
  return end;
}
