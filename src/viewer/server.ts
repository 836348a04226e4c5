/**
 * `coalmine console`'s web server: node:http on 127.0.0.1, over the records in one folder.
 *
 *   GET /                         the list of executions
 *   GET /executions/:id           one execution
 *   GET /api/executions           the list, as JSON
 *   GET /api/executions/:id       one record, as JSON (as the runner wrote it)
 *   GET /releases/:id             one release in waves, its targets linking to their canaries
 *   GET /api/releases             the releases, as JSON
 *   GET /static/viewer.css|.js    the page's style and script (files in src/viewer/static)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { packageFile } from '../package-files.ts';
import { errorPage, executionPage, listPage, notFoundPage } from './pages.ts';
import { summarise, type RecordSource, type ReleaseListEntry } from './records.ts';
import { localRecords, releasePage, releasesSection } from './release-view.ts';

const STATIC_DIR = packageFile('src', 'viewer', 'static');
const STATIC_FILES: Record<string, string> = { 'viewer.css': 'text/css; charset=utf-8', 'viewer.js': 'text/javascript; charset=utf-8' };

/** Nothing leaves the machine and nothing runs inline: the page only loads its own files. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface ViewerOptions {
  /** The folder of execution records… */
  dir?: string;
  /** …or another source of executions (Step Functions). */
  source?: RecordSource;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface RunningViewer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...SECURITY_HEADERS });
  response.end(body);
}

const html = (response: ServerResponse, status: number, body: string) => send(response, status, 'text/html; charset=utf-8', body);
const json = (response: ServerResponse, status: number, body: unknown) => send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));

/** The request handler, separate from the server so that it can be tested without a socket. */
export function viewerHandler(from: string | RecordSource): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const source = typeof from === 'string' ? localRecords(from) : from;
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('allow', 'GET, HEAD');
        return json(response, 405, { error: 'only GET' });
      }
      if (path === '/' || path === '/executions' || path === '/executions/') {
        const page = Number(url.searchParams.get('page') ?? '1');
        const query = {
          ...(url.searchParams.get('outcome') ? { outcome: url.searchParams.get('outcome')! } : {}),
          ...(url.searchParams.get('scenario') ? { scenario: url.searchParams.get('scenario')! } : {}),
          ...(Number.isInteger(page) && page > 0 ? { page } : {}),
        };
        // A release listing that fails is said on the page; the executions still show.
        let releases: ReleaseListEntry[] = [];
        let releasesFailure: string | undefined;
        try {
          releases = (await source.releases?.list()) ?? [];
        } catch (error) {
          releasesFailure = error instanceof Error ? error.message : String(error);
        }
        return html(response, 200, listPage(await source.list(), query, releasesSection(releases, releasesFailure)));
      }
      if (path === '/api/releases') return json(response, 200, (await source.releases?.list()) ?? []);
      const release = /^\/releases\/([^/]+)$/.exec(path);
      if (release) {
        const id = decodeURIComponent(release[1]!);
        const record = await source.releases?.read(id);
        return record ? html(response, 200, releasePage(record)) : html(response, 404, notFoundPage(`There is no release ${id} in ${source.describe}.`));
      }
      if (path === '/api/executions') return json(response, 200, await source.list());
      const api = /^\/api\/executions\/([^/]+)$/.exec(path);
      if (api) {
        const record = await source.read(decodeURIComponent(api[1]!));
        return record ? json(response, 200, record) : json(response, 404, { error: `no execution ${decodeURIComponent(api[1]!)}` });
      }
      const page = /^\/executions\/([^/]+)$/.exec(path);
      if (page) {
        const id = decodeURIComponent(page[1]!);
        const record = await source.read(id);
        return record ? html(response, 200, executionPage(record, summarise(record))) : html(response, 404, notFoundPage(`There is no execution ${id} in ${source.describe}.`));
      }
      const asset = /^\/static\/([a-z]+\.(?:css|js))$/.exec(path);
      if (asset && STATIC_FILES[asset[1]!]) {
        return send(response, 200, STATIC_FILES[asset[1]!]!, await readFile(join(STATIC_DIR, asset[1]!)));
      }
      if (path === '/favicon.ico') {
        response.writeHead(204, SECURITY_HEADERS);
        return void response.end();
      }
      return path.startsWith('/api/') ? json(response, 404, { error: `no such endpoint ${path}` }) : html(response, 404, notFoundPage(`Nothing at ${path}.`));
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? 'unknown error';
      return path.startsWith('/api/') ? json(response, 500, { error: message }) : html(response, 500, errorPage(message));
    }
  };
}

/**
 * Starts the viewer and resolves once it listens.
 *
 * @example
 * const viewer = await startViewer({ dir: '.coalmine/executions', port: 0 });
 * console.log(viewer.url); // http://127.0.0.1:41234/
 * await viewer.close();
 */
export async function startViewer(options: ViewerOptions): Promise<RunningViewer> {
  const source = options.source ?? (options.dir !== undefined ? localRecords(options.dir) : undefined);
  if (!source) throw new Error('startViewer: give a folder (dir) or a source of executions');
  const handler = viewerHandler(source);
  const server = createServer((request, response) => void handler(request, response));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
