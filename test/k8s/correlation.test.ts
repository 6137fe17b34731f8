import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { K8sCandidates } from '../../server/db/k8s-lookups.ts';
import {
  type CandidateLookup,
  correlateAll,
  imageShaTags,
  imageTag,
  type WorkloadObject,
} from '../../server/k8s/correlation.ts';
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

/** An in-memory stand-in for the database read, recording what each batch asked for. */
function lookup(records: DeploymentRecord[]): CandidateLookup & { shasAsked: string[][] } {
  const shasAsked: string[][] = [];
  const read = async (
    keys: Array<{ repository: string; environment: string; key: string }>,
    shas: string[],
  ): Promise<K8sCandidates> => {
    shasAsked.push(shas);
    return {
      named: records.filter((r) =>
        keys.some((k) => r.repository === k.repository && r.environment === k.environment && r.key === k.key),
      ),
      active: records.filter(
        (r) => shas.includes(r.sha) && ['pending', 'queued', 'in_progress'].includes(r.state),
      ),
      lastObservation: new Map(),
    };
  };
  return Object.assign(read, { shasAsked });
}

/** One object's correlation, through the batch read as the watcher does it. */
async function correlate(object: WorkloadObject, db: CandidateLookup) {
  return (await correlateAll([object], db)).correlations[0];
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
    expect((await correlate(object, db))?.kind).toBe('unmatched');
    expect(db.shasAsked).toEqual([[]]);
  });

  it('links by image tag to the one active record with that sha', async () => {
    const result = await correlate(deploymentObject([`shop:${SHA}`]), lookup([record('r1')]));
    expect(result).toMatchObject({ kind: 'matched', by: 'image', record: { id: 'r1' } });
  });

  it('ignores finished records and objects without a sha tag', async () => {
    expect(
      (await correlate(deploymentObject([`shop:${SHA}`]), lookup([record('r1', { state: 'success' })])))
        ?.kind,
    ).toBe('unmatched');
    expect((await correlate(deploymentObject(['shop:latest']), lookup([record('r1')])))?.kind).toBe(
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

  it('in several clusters: the record that expects this cluster, never one that expects another', async () => {
    const web = { namespace: 'shop', name: 'web' };
    const inCluster = (id: string, environment: string, cluster: string) =>
      record(id, {
        environment,
        k8s: { ...web, revision: null },
        k8sRollouts: { workloads: [web], clusters: [cluster], progress: [] },
      });
    const records = [
      inCluster('eu', 'production-eu', 'eu-west'),
      inCluster('us', 'production-us', 'us-east'),
    ];
    const object = deploymentObject([`shop:${SHA}`]);
    const seen = async (cluster: string) =>
      (await correlateAll([object], lookup(records), cluster)).correlations[0];
    expect(await seen('eu-west')).toMatchObject({ kind: 'matched', record: { id: 'eu' } });
    expect(await seen('us-east')).toMatchObject({ kind: 'matched', record: { id: 'us' } });
    expect((await seen('ap-south'))?.kind).toBe('unmatched');
  });

  it('never settles a record that names another object (one image, two Deployments)', async () => {
    const worker = record('r1', { k8s: { namespace: 'shop', name: 'worker', revision: null } });
    expect((await correlate(deploymentObject([`shop:${SHA}`]), lookup([worker])))?.kind).toBe('unmatched');
  });

  it('narrows the image match by repository and environment annotations when the key is absent', async () => {
    const records = [record('r1', { environment: 'staging' }), record('r2')];
    const object = deploymentObject([`shop:${SHA}`], { 'deployledger.dev/environment': 'staging' });
    expect(await correlate(object, lookup(records))).toMatchObject({ kind: 'matched', record: { id: 'r1' } });
  });

  it('correlates a whole batch of objects with one read', async () => {
    const other = 'c'.repeat(40);
    const records = [record('r1', { key: '42-1', sha: 'b'.repeat(40) }), record('r2', { sha: other })];
    const db = lookup(records);
    const named = deploymentObject(['shop:latest'], {
      'deployledger.dev/repository': 'acme/shop',
      'deployledger.dev/environment': 'production',
      'deployledger.dev/key': '42-1',
    });
    const byImage = deploymentObject([`shop:${other}`]);
    const stranger = deploymentObject([`shop:${'d'.repeat(40)}`]);
    const { correlations } = await correlateAll([named, byImage, stranger], db);
    expect(correlations.map((c) => (c.kind === 'matched' ? c.record.id : c.kind))).toEqual([
      'r1',
      'r2',
      'unmatched',
    ]);
    expect(db.shasAsked).toEqual([[other, 'd'.repeat(40)]]);
  });
});
