import { escaped } from './markup.ts';

const WIDTH = 300;
const HEIGHT = 80;
const PAD = 4;

export interface TrendChartProps {
  label: string;
  /** One value per bucket, oldest first; null where the bucket has no data. */
  values: Array<number | null>;
  kind: 'bars' | 'line';
  /** Shown as the chart's accessible description, e.g. the bucket width. */
  caption: string;
}

/**
 * A coordinate to a hundredth of a unit (a 300 × 80 box drawn a few hundred pixels wide): the
 * full doubles were 16 digits each, a third of the DORA page's bytes and much of its rendering.
 */
const at = (value: number): number => Math.round(value * 100) / 100;

/**
 * The chart's shapes as markup. The DORA page over every environment draws five charts of up to
 * 31 points for each of hundreds of environments: written as strings rather than JSX elements
 * (they were most of that page's time). Only numbers go into them.
 */
function shapes({ values, kind }: TrendChartProps): string {
  const max = Math.max(0, ...values.map((v) => v ?? 0));
  const step = values.length > 0 ? (WIDTH - 2 * PAD) / values.length : 0;
  const y = (value: number) => at(HEIGHT - PAD - (max > 0 ? (value / max) * (HEIGHT - 2 * PAD) : 0));
  const x = (index: number) => at(PAD + index * step + step / 2);
  if (kind === 'bars') {
    const width = at(Math.max(1, step * 0.7));
    return values
      .map((value, index) =>
        value
          ? `<rect x="${at(PAD + index * step + step * 0.15)}" y="${y(value)}" width="${width}" height="${at(HEIGHT - PAD - y(value))}" class="bar"><title>${value}</title></rect>`
          : '',
      )
      .join('');
  }
  const points = values.flatMap((value, index) => (value === null ? [] : [[x(index), y(value)] as const]));
  const line =
    points.length > 1
      ? `<polyline points="${points.map(([px, py]) => `${px},${py}`).join(' ')}" class="line"/>`
      : '';
  return line + points.map(([px, py]) => `<circle cx="${px}" cy="${py}" r="2.5" class="dot"/>`).join('');
}

/**
 * A small inline SVG drawn on the server: bars for counts, a line with dots for medians and
 * rates. One string, as its shapes are: the markup JSX wrote, without an element tree.
 */
export function trendChartMarkup(props: TrendChartProps): string {
  return (
    `<figure class="trend"><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escaped(`${props.label}: ${props.caption}`)}" preserveAspectRatio="none">` +
    `<line x1="${PAD}" y1="${HEIGHT - PAD}" x2="${WIDTH - PAD}" y2="${HEIGHT - PAD}" class="axis"></line>` +
    `${shapes(props)}</svg><figcaption>${escaped(props.caption)}</figcaption></figure>`
  );
}
