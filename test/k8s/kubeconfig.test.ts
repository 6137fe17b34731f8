import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clustersOf, discoverCluster } from '../../server/k8s/kubeconfig.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'kubeconfig-test-'));

function kubeconfigFile(name: string, server: string, currentContext: string | null = name): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server } }],
      users: [{ name, user: { token: 't' } }],
      contexts: [{ name, context: { cluster: name, user: name } }],
      ...(currentContext ? { 'current-context': currentContext } : {}),
    }),
  );
  return file;
}

describe('discoverCluster (the way kubectl finds a cluster)', () => {
  const a = kubeconfigFile('a', 'https://a.example:6443');
  const b = kubeconfigFile('b', 'https://b.example:6443');

  it('is off when nothing is configured', async () => {
    expect(await discoverCluster({})).toBeNull();
    // A service host without a mounted service account token is not a pod we can use.
    expect(
      await discoverCluster({ serviceHost: '10.0.0.1', serviceAccountTokenPath: path.join(dir, 'none') }),
    ).toBeNull();
  });

  it('prefers the explicit file, then KUBECONFIG', async () => {
    expect((await discoverCluster({ explicitPath: b, kubeconfigEnv: a }))?.server).toBe(
      'https://b.example:6443',
    );
    expect(await discoverCluster({ kubeconfigEnv: a })).toMatchObject({
      server: 'https://a.example:6443',
      source: `KUBECONFIG ${a}`,
    });
  });

  it('merges a KUBECONFIG list, the first file choosing the context', async () => {
    const merged = await discoverCluster({ kubeconfigEnv: [a, b].join(path.delimiter) });
    expect(merged?.server).toBe('https://a.example:6443');
    expect(merged?.kubeConfig.getContexts().map((context) => context.name)).toEqual(['a', 'b']);
  });

  it('stops the start with a clear error when the configuration names no cluster', async () => {
    const noContext = kubeconfigFile('no-context', 'https://c.example:6443', null);
    await expect(discoverCluster({ explicitPath: noContext })).rejects.toThrow(/no current context/);
    await expect(discoverCluster({ explicitPath: path.join(dir, 'missing') })).rejects.toThrow(/ENOENT/);
  });

  it('with contexts named, needs no current context; in a KUBECONFIG list the first file that sets one chooses it', async () => {
    const noContext = kubeconfigFile('no-current', 'https://d.example:6443', null);
    const discovered = await discoverCluster({ explicitPath: noContext, contexts: ['no-current'] });
    expect(discovered).not.toBeNull();
    const clusters = await clustersOf(discovered as NonNullable<typeof discovered>, {
      contexts: ['no-current'],
    });
    expect(clusters.map((cluster) => [cluster.name, cluster.server])).toEqual([
      ['no-current', 'https://d.example:6443'],
    ]);
    const merged = await discoverCluster({ kubeconfigEnv: [noContext, b].join(path.delimiter) });
    expect(merged?.server).toBe('https://b.example:6443');
  });
});
