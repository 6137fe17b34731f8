import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs, one line per event, on stdout. */
export function createLogger(level: string = 'info'): Logger {
  return pino({
    level,
    base: { service: 'deployledger' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
