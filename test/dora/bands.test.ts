import { describe, expect, it } from 'vitest';
import { changeFailureBand, frequencyBand, leadTimeBand, restoreBand } from '../../server/dora/bands.ts';

const HOUR = 3600;
const DAY = 24 * HOUR;

describe('DORA performance bands', () => {
  it('deployment frequency: daily is elite, weekly high, monthly medium, rarer low, none no band', () => {
    expect(frequencyBand(3, 90)).toBe('elite');
    expect(frequencyBand(1, 30)).toBe('elite');
    expect(frequencyBand(0.99, 29)).toBe('high');
    expect(frequencyBand(1 / 7, 4)).toBe('high');
    expect(frequencyBand(1 / 8, 3)).toBe('medium');
    expect(frequencyBand(1 / 30, 1)).toBe('medium');
    expect(frequencyBand(1 / 31, 1)).toBe('low');
    expect(frequencyBand(0, 0)).toBeNull();
  });

  it('lead time: under an hour elite, up to a week high, up to six months medium, beyond low', () => {
    expect(leadTimeBand(HOUR - 1)).toBe('elite');
    expect(leadTimeBand(HOUR)).toBe('high');
    expect(leadTimeBand(7 * DAY)).toBe('high');
    expect(leadTimeBand(7 * DAY + 1)).toBe('medium');
    expect(leadTimeBand(182 * DAY)).toBe('medium');
    expect(leadTimeBand(183 * DAY)).toBe('low');
    expect(leadTimeBand(null)).toBeNull();
  });

  it('change failure rate: 15 % elite, 30 % high, 45 % medium, more low', () => {
    expect(changeFailureBand(0)).toBe('elite');
    expect(changeFailureBand(0.15)).toBe('elite');
    expect(changeFailureBand(0.16)).toBe('high');
    expect(changeFailureBand(0.3)).toBe('high');
    expect(changeFailureBand(0.45)).toBe('medium');
    expect(changeFailureBand(0.46)).toBe('low');
    expect(changeFailureBand(null)).toBeNull();
  });

  it('time to restore: under an hour elite, under a day high, up to a week medium, beyond low', () => {
    expect(restoreBand(59 * 60)).toBe('elite');
    expect(restoreBand(HOUR)).toBe('high');
    expect(restoreBand(DAY - 1)).toBe('high');
    expect(restoreBand(DAY)).toBe('medium');
    expect(restoreBand(7 * DAY)).toBe('medium');
    expect(restoreBand(7 * DAY + 1)).toBe('low');
    expect(restoreBand(null)).toBeNull();
  });
});
