import { INVARIANT_NAMES, type Violation } from '../db/invariant-queries.ts';

/** The checker's report: one line per invariant, then each violation. */
export function formatReport(violations: Violation[]): string {
  const lines = ['| invariant | result |', '| --- | --- |'];
  for (const name of INVARIANT_NAMES) {
    const broken = violations.filter((violation) => violation.invariant === name).length;
    lines.push(`| ${name} | ${broken === 0 ? 'ok' : `${broken} violation${broken === 1 ? '' : 's'}`} |`);
  }
  if (violations.length > 0) {
    lines.push('', '| invariant | subject | detail |', '| --- | --- | --- |');
    for (const v of violations) lines.push(`| ${v.invariant} | ${v.subject} | ${v.detail} |`);
  }
  lines.push(
    '',
    violations.length === 0 ? 'All invariants hold.' : `${violations.length} violation(s) found.`,
  );
  return lines.join('\n');
}
