import type { DoraReport } from '../../dora/compute.ts';
import { REWORK_AFTER_FAILURE_MINUTES } from '../../dora/rework.ts';
import { escaped } from '../components/markup.ts';
import { RepositorySelect } from '../components/repository-select.tsx';
import { bandBadgeMarkup } from '../components/state-badge.tsx';
import { type TrendChartProps, trendChartMarkup } from '../components/trend-chart.tsx';
import { duration, percent, perDay, timestamp } from '../format.ts';
import { listChunks, listPlace } from '../list-answer.ts';
import { historyPath } from './environments.tsx';

export const WINDOW_CHOICES = [7, 30, 90, 180] as const;

/** One DORA figure: its value, band and note, and its trend over the window. */
interface FigureProps {
  id: string;
  title: string;
  value: string;
  /** The unformatted figure (seconds, ratio or per day), for scripts and tests. */
  raw: number | null;
  band: string | null;
  /** Shown instead of "no data" when the figure has no bands at all. */
  bandNote?: string;
  note: string;
  trend: TrendChartProps;
}

// Written as strings (markup.ts): a page draws five figures for each of its environments.
function figureMarkup(props: FigureProps): string {
  const band = props.bandNote
    ? `<span class="band-note">${escaped(props.bandNote)}</span>`
    : bandBadgeMarkup(props.band);
  return (
    `<article class="figure" data-figure="${escaped(props.id)}"><h3>${escaped(props.title)}</h3>` +
    `<p class="value" data-raw="${props.raw === null ? '' : escaped(String(props.raw))}">${escaped(props.value)}</p>` +
    `<p>${band} <span class="note">${escaped(props.note)}</span></p>${trendChartMarkup(props.trend)}</article>`
  );
}

function bucketName(report: DoraReport): string {
  const first = report.trend[0];
  if (!first) return '';
  const days = Math.round((first.end.getTime() - first.start.getTime()) / 86_400_000);
  return days === 1 ? 'per day' : `per ${days} days`;
}

/** The five figures of one (repository, environment), in the order DORA lists them. */
function figuresOf(report: DoraReport): FigureProps[] {
  const per = bucketName(report);
  const line = (label: string, values: Array<number | null>, caption: string): TrendChartProps => ({
    label,
    kind: 'line',
    values,
    caption: `${caption} ${per}`,
  });
  return [
    {
      id: 'deployment-frequency',
      title: 'Deployment frequency',
      value: perDay(report.deploymentsPerDay),
      raw: report.deploymentsPerDay,
      band: report.frequencyBand,
      note: `${report.deployments} successful deployments`,
      trend: {
        label: 'Deployments',
        kind: 'bars',
        values: report.trend.map((p) => p.deployments),
        caption: `successful deployments ${per}`,
      },
    },
    {
      id: 'change-lead-time',
      title: 'Change lead time',
      value: duration(report.leadTimeSeconds),
      raw: report.leadTimeSeconds,
      band: report.leadTimeBand,
      note: `median of ${report.leadTimeSamples} with a commit time`,
      trend: line(
        'Lead time',
        report.trend.map((p) => p.leadTimeSeconds),
        'median change lead time',
      ),
    },
    {
      id: 'change-fail-rate',
      title: 'Change fail rate',
      value: percent(report.changeFailureRate),
      raw: report.changeFailureRate,
      band: report.changeFailureBand,
      note: `${report.failures} failed of ${report.deployments + report.failures} finished`,
      trend: line(
        'Change fail rate',
        report.trend.map((p) => p.changeFailureRate),
        'change fail rate',
      ),
    },
    {
      id: 'recovery-time',
      title: 'Failed deployment recovery time',
      value: duration(report.timeToRestoreSeconds),
      raw: report.timeToRestoreSeconds,
      band: report.restoreBand,
      note: `median of ${report.restored} recovered (${report.restoredByRollback} by a rollback); ${report.incidents - report.restored} not yet recovered`,
      trend: line(
        'Failed deployment recovery time',
        report.trend.map((p) => p.timeToRestoreSeconds),
        'median recovery time',
      ),
    },
    {
      id: 'rework-rate',
      title: 'Deployment rework rate',
      value: percent(report.reworkRate),
      raw: report.reworkRate,
      band: null,
      bandNote: 'no band published',
      note: `${report.rework} of ${report.deployments} successful deployments were rework: ${report.reworkRollbacks} were rollbacks, ${report.reworkAfterFailure} started within ${REWORK_AFTER_FAILURE_MINUTES} min after a failure`,
      trend: line(
        'Deployment rework rate',
        report.trend.map((p) => p.reworkRate),
        'rework rate',
      ),
    },
  ];
}

function reportSection(report: DoraReport): string {
  return (
    `<section class="dora" data-dora="${escaped(`${report.repository}/${report.environment}`)}">` +
    `<h2><a href="${escaped(historyPath(report))}">${escaped(report.repository)} · ${escaped(report.environment)}</a></h2>` +
    `<div class="figures">${figuresOf(report).map(figureMarkup).join('')}</div></section>`
  );
}

/** Each environment's section, in chunks for listAnswer (list-answer.ts), which puts them in DoraPage. */
export function doraSections(reports: DoraReport[]): string[] {
  return listChunks(reports, reportSection);
}

export function DoraPage(props: {
  reports: DoraReport[];
  repositories: string[];
  repository: string | undefined;
  days: number;
  since: Date;
  until: Date;
  /** The next page of environments, and the first (from a later page); null when none. */
  next: string | null;
  first: string | null;
}) {
  return (
    <>
      <h1>DORA</h1>
      <form method="get" action="/dashboard/dora" class="filters">
        <RepositorySelect repositories={props.repositories} selected={props.repository} />
        <label>
          Window{' '}
          <select name="days">
            {WINDOW_CHOICES.map((days) => (
              <option value={String(days)} selected={days === props.days}>
                {`last ${days} days`}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <p class="window">
        {timestamp(props.since)} → {timestamp(props.until)}
      </p>
      {props.reports.length === 0 ? <p class="empty">No deployments yet.</p> : listPlace()}
      {(props.next || props.first) && (
        <p class="pages">
          {props.first && <a href={props.first}>← First environments</a>}{' '}
          {props.next && (
            <a href={props.next} rel="next">
              More environments →
            </a>
          )}
        </p>
      )}
    </>
  );
}
