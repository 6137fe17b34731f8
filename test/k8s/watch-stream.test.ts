import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeWatch, lineEvent, type WatchEvent } from '../../server/k8s/watch-stream.ts';

const servers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** An API server whose watch answers with `respond`, and a kubeconfig pointing at it. */
async function apiServer(respond: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer(respond);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return kubeConfigFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

/** A self-signed certificate for 127.0.0.1 (openssl, as a cluster's CA would issue one). */
function certificate() {
  const dir = mkdtempSync(path.join(tmpdir(), 'watch-tls-'));
  const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=kube-apiserver',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

function kubeConfigFor(server: string, caData?: Buffer) {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      caData
        ? { name: 'c', server, skipTLSVerify: false, caData: caData.toString('base64') }
        : { name: 'c', server, skipTLSVerify: true },
    ],
    users: [{ name: 'u', token: 'secret-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

function watchAll(kubeConfig: KubeConfig, params = {}) {
  const events: WatchEvent[] = [];
  const done = new Promise<unknown>((resolve, reject) => {
    kubeWatch(kubeConfig)
      .watch('/apis/apps/v1/deployments', params, (e) => events.push(e), resolve)
      .catch(reject);
  });
  return { events, done };
}

const modified = (name: string, resourceVersion: string, image = 'ghcr.io/acme/shop:1') =>
  JSON.stringify({
    type: 'MODIFIED',
    object: { metadata: { name, namespace: 'shop', resourceVersion }, spec: { image } },
  });

describe('kubeWatch', () => {
  it('asks with the kubeconfig’s credentials and hands over every line, whatever the chunks', async () => {
    let asked: IncomingMessage | undefined;
    const kubeConfig = await apiServer((request, response) => {
      asked = request;
      response.writeHead(200, { 'content-type': 'application/json' });
      // One event split inside a multi-byte character, one ending in CRLF, a blank line, a line that
      // is not JSON (skipped), a bookmark, and a last line without its newline.
      const first = Buffer.from(`${modified('web', '1', 'ghcr.io/acme/shöp:1')}\n`);
      const cut = first.indexOf(0xc3) + 1;
      response.write(first.subarray(0, cut));
      setTimeout(() => {
        response.write(first.subarray(cut));
        response.write(`${modified('api', '2')}\r\n\nnot json\n`);
        response.write(`{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"3"}}}\n`);
        response.end(modified('web', '4'));
      }, 20);
    });
    const { events, done } = watchAll(kubeConfig, { resourceVersion: '0', allowWatchBookmarks: true });
    expect(await done).toBeNull();
    expect(asked?.headers.authorization).toBe('Bearer secret-token');
    expect(asked?.url).toBe(
      '/apis/apps/v1/deployments?watch=true&resourceVersion=0&allowWatchBookmarks=true',
    );
    expect(events.map((e) => [e.type, e.name, e.resourceVersion])).toEqual([
      ['MODIFIED', 'web', '1'],
      ['MODIFIED', 'api', '2'],
      ['BOOKMARK', undefined, '3'],
      ['MODIFIED', 'web', '4'],
    ]);
    expect(events[0]?.object()).toMatchObject({ spec: { image: 'ghcr.io/acme/shöp:1' } });
  });

  it('speaks TLS to an API server its kubeconfig’s CA vouches for, and to no other', async () => {
    const { key, cert } = certificate();
    const server = createTlsServer({ key, cert }, (request, response) => {
      response.writeHead(200).end(`${modified('web', String(request.headers.authorization?.length))}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const trusted = watchAll(kubeConfigFor(url, cert));
    expect(await trusted.done).toBeNull();
    expect(trusted.events.map((e) => [e.name, e.resourceVersion])).toEqual([['web', '19']]);
    const other = certificate().cert;
    expect(await watchAll(kubeConfigFor(url, other)).done).toMatchObject({
      code: expect.stringMatching(/CERT|SIGNATURE/),
    });
  });

  it('ends with the status code when the API server refuses the watch', async () => {
    const kubeConfig = await apiServer((_request, response) => {
      response.writeHead(410).end('{"kind":"Status","code":410}');
    });
    const error = await watchAll(kubeConfig).done;
    expect(error).toMatchObject({ statusCode: 410 });
  });

  it('ends with the error when the connection is refused', async () => {
    expect(await watchAll(kubeConfigFor('http://127.0.0.1:1')).done).toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('lineEvent', () => {
  it('decodes an object only when asked, once', () => {
    const event = lineEvent(modified('web', '7'));
    expect(event).toMatchObject({ type: 'MODIFIED', namespace: 'shop', name: 'web', resourceVersion: '7' });
    const object = event?.object();
    expect(object).toMatchObject({ metadata: { name: 'web' } });
    expect(event?.object()).toBe(object);
  });

  it('fails when asked for the object of a line broken after its metadata', () => {
    const event = lineEvent(
      '{"type":"MODIFIED","object":{"metadata":{"name":"web","namespace":"shop","resourceVersion":"3"},"spec":{',
    );
    expect(event?.name).toBe('web');
    expect(() => event?.object()).toThrow();
  });

  it('decodes an error event at once, and skips a line that is not JSON', () => {
    const error = lineEvent('{"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old"}}');
    expect(error?.type).toBe('ERROR');
    expect(error?.object()).toMatchObject({ code: 410 });
    expect(lineEvent('<html>')).toBeNull();
  });
});
