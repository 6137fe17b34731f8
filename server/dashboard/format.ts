const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 45s, 12m, 2h 30m, 3d 4h: two units at most. */
export function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < MINUTE) return `${s}s`;
  if (s < HOUR) return `${Math.floor(s / MINUTE)}m`;
  if (s < DAY) {
    const minutes = Math.floor((s % HOUR) / MINUTE);
    return `${Math.floor(s / HOUR)}h${minutes ? ` ${minutes}m` : ''}`;
  }
  const hours = Math.floor((s % DAY) / HOUR);
  return `${Math.floor(s / DAY)}d${hours ? ` ${hours}h` : ''}`;
}

export function age(from: Date, now: Date = new Date()): string {
  return `${duration((now.getTime() - from.getTime()) / 1000)} ago`;
}

/** 2026-03-02 13:50:00 UTC: readable and unambiguous. */
export function timestamp(date: Date | null): string {
  if (!date) return '—';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

export function perDay(value: number): string {
  return `${value.toFixed(2)}/day`;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
