import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProtectionConfig, protectionFor } from '../../server/protection/config.ts';
import { activeFreezeWindow } from '../../server/protection/freeze.ts';
import { startServer } from '../helpers/server.ts';

const YAML = `
environments:
  production:
    policy: [wait, reject-after-failure]
    max_wait_seconds: 1800
    freeze_windows:
      - name: Year-end freeze
        time_zone: Europe/Berlin
        from: 2026-12-20
        until: 2027-01-04T09:00
      - name: Friday nights
        time_zone: America/New_York
        weekly: { days: [fri], from: "22:00", until: "06:00" }
  "*":
    policy: reject-if-active
`;

function yamlFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'protection-')), 'protection.yaml');
  writeFileSync(file, text);
  return file;
}

describe('protection rules: configuration and freeze windows', () => {
  const config = loadProtectionConfig({ DEPLOYLEDGER_PROTECTION_FILE: yamlFile(YAML) });
  const windows = protectionFor(config, 'production').freeze_windows;
  const inside = (iso: string) => activeFreezeWindow(windows, new Date(iso))?.name ?? null;

  it('reads policies from a YAML file; `*` covers environments not named', () => {
    expect(protectionFor(config, 'production')).toMatchObject({
      policy: ['wait', 'reject-after-failure'],
      max_wait_seconds: 1800,
    });
    expect(protectionFor(config, 'staging').policy).toEqual(['reject-if-active']);
    expect(protectionFor(loadProtectionConfig({}), 'anything').policy).toEqual(['wait']);
  });

  it('applies a date range in its own time zone', () => {
    // Midnight in Berlin is 23:00 UTC the day before (winter time).
    expect(inside('2026-12-19T22:59:00Z')).toBeNull();
    expect(inside('2026-12-19T23:00:00Z')).toBe('Year-end freeze');
    expect(inside('2027-01-04T07:59:00Z')).toBe('Year-end freeze');
    expect(inside('2027-01-04T08:00:00Z')).toBeNull();
  });

  it('applies a weekly window across midnight in its own time zone', () => {
    // Friday 2026-11-27 22:00 in New York is 03:00 UTC on Saturday.
    expect(inside('2026-11-28T02:59:00Z')).toBeNull();
    expect(inside('2026-11-28T03:00:00Z')).toBe('Friday nights');
    expect(inside('2026-11-28T10:59:00Z')).toBe('Friday nights');
    expect(inside('2026-11-28T11:00:00Z')).toBeNull();
    // Thursday night is not frozen.
    expect(inside('2026-11-27T04:00:00Z')).toBeNull();
  });

  it('refuses bad rules, naming the variable and every bad field', () => {
    const bad = JSON.stringify({
      environments: {
        production: {
          policy: ['wait', 'reject-if-active'],
          freeze_windows: [{ name: 'x', time_zone: 'Mars/Olympus', from: 'soon', until: '2027-01-01' }],
        },
      },
    });
    expect(() => loadProtectionConfig({ DEPLOYLEDGER_PROTECTION: bad })).toThrow(
      /DEPLOYLEDGER_PROTECTION: .*environments\.production\.policy: `wait` and `reject-if-active` exclude each other/,
    );
    expect(() => loadProtectionConfig({ DEPLOYLEDGER_PROTECTION: bad })).toThrow(/IANA time zone/);
    expect(() => loadProtectionConfig({ DEPLOYLEDGER_PROTECTION: '{not json' })).toThrow(
      /DEPLOYLEDGER_PROTECTION: /,
    );
  });

  it('stops the server at start when the rules are invalid', async () => {
    const file = yamlFile('environments:\n  production:\n    policy: sometimes\n');
    await expect(startServer({ DEPLOYLEDGER_PROTECTION_FILE: file })).rejects.toThrow(
      /DEPLOYLEDGER_PROTECTION_FILE \(.*protection\.yaml\): environments\.production\.policy/,
    );
  });
});
