import Table from 'cli-table3';
import type { RepairPlan } from './plan.ts';

const short = (id: string) => id.slice(0, 8);

/** The plan as a table for the terminal: one line per merge group and per stuck record. */
export function renderPlan(plan: RepairPlan): string {
  const table = new Table({
    head: ['action', 'repository', 'environment', 'sha', 'record', 'merges', 'state', 'after'],
    style: { head: [], border: [] },
  });
  for (const step of plan.merges) {
    table.push([
      'merge',
      step.survivor.repository,
      step.survivor.environment,
      step.survivor.sha.slice(0, 7),
      short(step.survivor.id),
      step.duplicates.map((duplicate) => `${short(duplicate.id)} (${duplicate.state})`).join('\n'),
      step.survivor.state,
      step.after.state,
    ]);
  }
  for (const step of plan.supersedes) {
    table.push([
      'supersede',
      step.record.repository,
      step.record.environment,
      step.record.sha.slice(0, 7),
      short(step.record.id),
      `by ${short(step.by.id)}`,
      step.record.state,
      'inactive (superseded)',
    ]);
  }
  for (const step of plan.resolves) {
    table.push([
      'end stuck',
      step.record.repository,
      step.record.environment,
      step.record.sha.slice(0, 7),
      short(step.record.id),
      '',
      step.record.state,
      'error (timed_out)',
    ]);
  }
  const removed = plan.merges.reduce((sum, step) => sum + step.duplicates.length, 0);
  const superseded = plan.supersedes.length
    ? `${plan.supersedes.length} active record(s) superseded (names that differ only in case), `
    : '';
  return `${table.toString()}\n${plan.merges.length} duplicate group(s) (${removed} record(s) merged away), ${superseded}${plan.resolves.length} stuck record(s) to end.`;
}
