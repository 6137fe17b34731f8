import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type CorrelationLookup, correlate, imageShaTags, imageTag } from '../../server/k8s/correlation.ts';
import type { DeploymentRecord } from '../../server/ledger/index.ts';
import { aRecord } from '../helpers/records.ts';

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

function record(id: string, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  const now = new Date('2026-11-27T10:00:00Z');
  return aRecord({
    id,
    environment: 'production',
    key: `${id}-1`,
    sha: SHA,
    state: 'in_progress',
    runId: null,
    runAttempt: null,
    fingerprint: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  });
}

function deploymentObject(images: string[], annotations: Record<string, string> = {}): V1Deployment {
  return {
    metadata: { namespace: 'shop', name: 'web', annotations },
    spec: {
      selector: {},
      template: { spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) } },
    },
  };
}

/** An in-memory stand-in for the database lookups. */
function lookup(records: DeploymentRecord[]): CorrelationLookup & { byShaCalls: string[][] } {
  const byShaCalls: string[][] = [];
  return {
    byShaCalls,
    byKey: async (repository, environment, key) =>
      records.find((r) => r.repository === repository && r.environment === environment && r.key === key) ??
      null,
    activeBySha: async (shas) => {
      byShaCalls.push(shas);
      return records.filter(
        (r) => shas.includes(r.sha) && ['pending', 'queued', 'in_progress'].includes(r.state),
      );
    },
  };
}

describe('image tags', () => {
  it('reads the tag, not a registry port or a digest', () => {
    expect(imageTag(`ghcr.io/acme/shop:${SHA}`)).toBe(SHA);
    expect(imageTag('registry.local:5000/acme/shop')).toBeNull();
    expect(imageTag(`registry.local:5000/acme/shop:${SHA}@sha256:${'f'.repeat(64)}`)).toBe(SHA);
    expect(imageTag(`acme/shop@sha256:${'f'.repeat(64)}`)).toBeNull();
  });

  it('keeps only tags that can be commit shas, lower-cased, once each', () => {
    const object = deploymentObject([
      `shop:${SHA.toUpperCase()}`,
      'sidecar:v1.2.3',
      `shop-migrate:${SHA}`,
      'envoy:latest',
    ]);
    expect(imageShaTags(object)).toEqual([SHA]);
  });
});

describe('correlate', () => {
  it('links by the three annotations to the record with that key, whatever the image', async () => {
    const target = record('r1', { key: '42-1', sha: 'b'.repeat(40) });
    const object = deploymentObject(['shop:latest'], {
      'deployledger.dev/repository': 'acme/shop',
      'deployledger.dev/environment': 'production',
      'deployledger.dev/key': '42-1',
    });
    expect(await correlate(object, lookup([target, record('r2')]))).toMatchObject({
      kind: 'matched',
      by: 'annotations',
      record: { id: 'r1' },
    });
  });

  it('does not fall back to the image when the annotated key names no record', async () => {
    const object = deploymentObject([`shop:${SHA}`], {
      'deployledger.dev/repository': 'acme/shop',
      'deployledger.dev/environment': 'production',
      'deployledger.dev/key': 'missing',
    });
    const db = lookup([record('r1')]);
    expect((await correlate(object, db)).kind).toBe('unmatched');
    expect(db.byShaCalls).toEqual([]);
  });

  it('links by image tag to the one active record with that sha', async () => {
    const result = await correlate(deploymentObject([`shop:${SHA}`]), lookup([record('r1')]));
    expect(result).toMatchObject({ kind: 'matched', by: 'image', record: { id: 'r1' } });
  });

  it('ignores finished records and objects without a sha tag', async () => {
    expect(
      (await correlate(deploymentObject([`shop:${SHA}`]), lookup([record('r1', { state: 'success' })]))).kind,
    ).toBe('unmatched');
    expect((await correlate(deploymentObject(['shop:latest']), lookup([record('r1')]))).kind).toBe(
      'unmatched',
    );
  });

  it('with several candidates, picks the one whose k8s names this object', async () => {
    const records = [
      record('r1', { environment: 'staging' }),
      record('r2', { k8s: { namespace: 'shop', name: 'web', revision: null } }),
    ];
    expect(await correlate(deploymentObject([`shop:${SHA}`]), lookup(records))).toMatchObject({
      kind: 'matched',
      record: { id: 'r2' },
    });
  });

  it('with several candidates and none (or several) naming the object, matches none', async () => {
    const records = [record('r1', { environment: 'staging' }), record('r2')];
    expect(await correlate(deploymentObject([`shop:${SHA}`]), lookup(records))).toEqual({
      kind: 'ambiguous',
      candidates: ['r1', 'r2'],
    });
  });

  it('never settles a record that names another object (one image, two Deployments)', async () => {
    const worker = record('r1', { k8s: { namespace: 'shop', name: 'worker', revision: null } });
    expect((await correlate(deploymentObject([`shop:${SHA}`]), lookup([worker]))).kind).toBe('unmatched');
  });

  it('narrows the image match by repository and environment annotations when the key is absent', async () => {
    const records = [record('r1', { environment: 'staging' }), record('r2')];
    const object = deploymentObject([`shop:${SHA}`], { 'deployledger.dev/environment': 'staging' });
    expect(await correlate(object, lookup(records))).toMatchObject({ kind: 'matched', record: { id: 'r1' } });
  });
});
