import { describe, expect, it } from 'vitest';
import {
  BANDS_REPORT_YEAR,
  changeFailureBand,
  frequencyBand,
  leadTimeBand,
  recoveryBand,
} from '../../server/dora/bands.ts';

const HOUR = 3600;
const DAY = 24 * HOUR;

// The 2024 Accelerate State of DevOps Report's clusters, gaps closed towards the better band.
describe('DORA performance bands (2024 report)', () => {
  it('names the report year', () => {
    expect(BANDS_REPORT_YEAR).toBe(2024);
  });

  it('deployment frequency: more than daily elite, weekly high, monthly medium, rarer low, none no band', () => {
    expect(frequencyBand(3, 90)).toBe('elite');
    expect(frequencyBand(1.01, 31)).toBe('elite');
    expect(frequencyBand(1, 30)).toBe('high');
    expect(frequencyBand(1 / 7, 4)).toBe('high');
    expect(frequencyBand(1 / 8, 3)).toBe('medium');
    expect(frequencyBand(1 / 30, 1)).toBe('medium');
    expect(frequencyBand(1 / 31, 1)).toBe('low');
    expect(frequencyBand(0, 0)).toBeNull();
  });

  it('change lead time: under a day elite, up to a week high, up to a month medium, beyond low', () => {
    expect(leadTimeBand(HOUR)).toBe('elite');
    expect(leadTimeBand(DAY - 1)).toBe('elite');
    expect(leadTimeBand(DAY)).toBe('high');
    expect(leadTimeBand(7 * DAY)).toBe('high');
    expect(leadTimeBand(7 * DAY + 1)).toBe('medium');
    expect(leadTimeBand(30 * DAY)).toBe('medium');
    expect(leadTimeBand(30 * DAY + 1)).toBe('low');
    expect(leadTimeBand(null)).toBeNull();
  });

  it('change fail rate: the nearest of elite 5 %, medium 10 %, high 20 %, low 40 %', () => {
    expect(changeFailureBand(0)).toBe('elite');
    expect(changeFailureBand(0.075)).toBe('elite');
    expect(changeFailureBand(0.08)).toBe('medium');
    expect(changeFailureBand(0.15)).toBe('medium');
    expect(changeFailureBand(0.16)).toBe('high');
    expect(changeFailureBand(0.3)).toBe('high');
    expect(changeFailureBand(0.31)).toBe('low');
    expect(changeFailureBand(1)).toBe('low');
    expect(changeFailureBand(null)).toBeNull();
  });

  it('failed deployment recovery time: under an hour elite, under a day high, under a week medium, beyond low', () => {
    expect(recoveryBand(59 * 60)).toBe('elite');
    expect(recoveryBand(HOUR)).toBe('high');
    expect(recoveryBand(DAY - 1)).toBe('high');
    expect(recoveryBand(DAY)).toBe('medium');
    expect(recoveryBand(7 * DAY - 1)).toBe('medium');
    expect(recoveryBand(7 * DAY)).toBe('low');
    expect(recoveryBand(null)).toBeNull();
  });
});
