import { describe, expect, it } from 'vitest';
import { peekWatchEvent } from '../../server/k8s/watch-event-peek.ts';
import { rolloutSteps } from '../helpers/k8s-deployments.ts';

const app = {
  namespace: 'shop',
  name: 'web',
  annotations: { 'deployledger.dev/repository': 'acme/shop', 'deployledger.dev/environment': 'prod' },
};
const steps = rolloutSteps(app, {
  image: 'ghcr.io/acme/shop:abc',
  previousImage: 'ghcr.io/acme/shop:old',
  revision: 2,
  startedAt: new Date('2026-12-01T10:00:00Z'),
});

/** What JSON.parse says of the line: the reference every peek must agree with. */
function decoded(line: string) {
  const event = JSON.parse(line);
  const metadata = event.object?.metadata ?? {};
  return {
    type: event.type,
    namespace: metadata.namespace,
    name: metadata.name,
    resourceVersion: metadata.resourceVersion,
  };
}

/** A typed object as the API server writes it: its metadata starts with name, namespace and version. */
function structOrder(object: { metadata: Record<string, unknown> } & Record<string, unknown>) {
  const { name, namespace, uid, resourceVersion, ...restOfMetadata } = object.metadata;
  const { kind, apiVersion, metadata: _, ...rest } = object;
  return {
    kind,
    apiVersion,
    metadata: { name, namespace, uid, resourceVersion, ...restOfMetadata },
    ...rest,
  };
}

const deployment = { ...steps.complete, metadata: { ...steps.complete.metadata, resourceVersion: '4711' } };

describe('peekWatchEvent', () => {
  it('reads what JSON.parse reads, in the API server’s order and in sorted order', () => {
    for (const object of [structOrder(deployment), deployment]) {
      for (const type of ['ADDED', 'MODIFIED', 'DELETED']) {
        const line = JSON.stringify({ type, object });
        expect(peekWatchEvent(line)).toEqual(decoded(line));
      }
    }
    expect(peekWatchEvent(JSON.stringify({ type: 'MODIFIED', object: structOrder(deployment) }))).toEqual({
      type: 'MODIFIED',
      namespace: 'shop',
      name: 'web',
      resourceVersion: '4711',
    });
  });

  it('is not fooled by names inside annotations, labels and nested objects before the metadata’s own', () => {
    const object = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      metadata: {
        annotations: { name: 'not-this', 'note"quoted': '{"name":"nor-this","namespace":"x"}' },
        labels: { name: 'nor-this-either' },
        managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:metadata': { 'f:name': {} } } }],
        name: 'checkout',
        namespace: 'shop',
        resourceVersion: '12',
      },
      spec: { template: { metadata: { name: 'pod-template' } } },
    };
    const line = JSON.stringify({ type: 'MODIFIED', object });
    expect(peekWatchEvent(line)).toEqual({
      type: 'MODIFIED',
      namespace: 'shop',
      name: 'checkout',
      resourceVersion: '12',
    });
  });

  it('reads the type when it comes after the object, and spaces between tokens', () => {
    const line = JSON.stringify({ object: structOrder(deployment), type: 'MODIFIED' }, null, 2);
    expect(peekWatchEvent(line)).toEqual(decoded(line));
  });

  it('reads a bookmark and a cluster-scoped object (no namespace)', () => {
    const bookmark = JSON.stringify({
      type: 'BOOKMARK',
      object: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { resourceVersion: '99' } },
    });
    expect(peekWatchEvent(bookmark)).toEqual(decoded(bookmark));
    const clusterScoped = JSON.stringify({
      type: 'ADDED',
      object: { kind: 'X', metadata: { name: 'a', resourceVersion: '1' }, spec: [1, true, null, -2.5e3] },
    });
    expect(peekWatchEvent(clusterScoped)).toEqual(decoded(clusterScoped));
  });

  it('leaves a value with escapes undefined, for the caller to decode the line', () => {
    const line = JSON.stringify({
      type: 'ADDED',
      object: { metadata: { name: 'we\\ird', namespace: 'shop', resourceVersion: '1' } },
    });
    expect(peekWatchEvent(line)).toMatchObject({ type: 'ADDED', name: undefined, namespace: 'shop' });
  });

  it('answers null for what is not a watch event it can read', () => {
    for (const line of [
      '',
      'not json',
      '[]',
      '{"type":"ERROR","object":{"kind":"Status","code":410}}', // no metadata: decoded
      '{"type":"MODIFIED"}',
      '{"type":"MODIFIED","object":{"metadata":{"name":"web"', // cut off
      '{"type":7,"object":{"metadata":{}}}',
      '{"type":"MODIFIED","object":{"metadata":{"name":"web" "namespace":"shop"}}}',
    ])
      expect(peekWatchEvent(line)).toBeNull();
  });

  it('reads no further than it needs: a line broken after the metadata is peeked, and fails when decoded', () => {
    const line =
      '{"type":"MODIFIED","object":{"metadata":{"name":"web","namespace":"shop","resourceVersion":"3"},"spec":{';
    expect(peekWatchEvent(line)).toEqual({
      type: 'MODIFIED',
      namespace: 'shop',
      name: 'web',
      resourceVersion: '3',
    });
    expect(() => JSON.parse(line)).toThrow();
  });
});
