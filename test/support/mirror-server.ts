import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { serve } from './net.js';

/**
 * The loopback server (net.ts `serve`) as a file server that serves files the way a Zig mirror (or ziglang.org, or a
 * package index) does, with faults that tests switch on per path: status codes, resets, hangs,
 * trickles, truncation, lying Content-Length, redirects, a flipped byte, another file's bytes.
 * Every request is recorded (path, query string, headers) so tests can assert "downloaded once" or
 * "sent ?source=xcc".
 */

/** What a path serves: bytes, a file read on first use, or a reply computed per request. */
export type Body =
  | string
  | Uint8Array
  | { file: string }
  | ((request: ServedRequest) => string | Uint8Array | Reply);

/** A computed reply that also chooses its status or headers (content negotiation, 406...). */
export interface Reply {
  body: string | Uint8Array;
  status?: number;
  headers?: Record<string, string>;
}

export interface Route {
  body: Body;
  /** Default: from the path's extension. */
  contentType?: string;
}

export interface ServedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The raw query string without `?` (`source=xcc`), '' when absent. */
  query: string;
  headers: http.IncomingHttpHeaders;
  /** This server's own origin, `http://127.0.0.1:<port>`, for bodies that link back to it. */
  baseUrl: string;
  /** When the request arrived (`performance.now()` of the test process), to bound how long a client took. */
  at: number;
}

export type Fault =
  /** Answer with this status (and headers, e.g. `retry-after`) instead of the file. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Send the headers and `afterBytes` of the body (default half), then reset the connection (RST). */
  | { kind: 'reset'; afterBytes?: number }
  /** Accept the connection, read the request, never answer (until the server closes). */
  | { kind: 'hang' }
  /** Send the headers, then one byte every `intervalMs` (default 1000). */
  | { kind: 'trickle'; intervalMs?: number }
  /** The whole file, correctly framed, at about `bytesPerSecond` (a slow link: downloads take a while). */
  | { kind: 'throttle'; bytesPerSecond: number }
  /** Correct Content-Length, but close the connection cleanly after `bytes` of the body (default half). */
  | { kind: 'truncate'; bytes?: number }
  /** Advertise Content-Length = real length + `delta`, send the whole body, close. */
  | { kind: 'content-length'; delta: number }
  | { kind: 'redirect'; location: string; status?: 301 | 302 | 303 | 307 | 308 }
  /** 302 back to the same URL, forever. */
  | { kind: 'redirect-loop' }
  /** The right file with one bit flipped at `offset` (default: the middle). */
  | { kind: 'flip-byte'; offset?: number }
  /** Another path's bytes (e.g. another tarball's signature) under this path's name. */
  | { kind: 'serve'; path: string };

export interface FaultOptions {
  /** How many matching requests get the fault before the path serves normally again; default: all. */
  times?: number;
}

export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
}

export interface MirrorServer {
  /** `http://127.0.0.1:<port>` (or https://), without trailing slash. */
  url: string;
  port: number;
  /** Every request received, faulted or not, in arrival order. */
  requests: ServedRequest[];
  /** Serve `body` at `urlPath` (replacing what was there). */
  setFile(urlPath: string, body: Body | Route): void;
  setFiles(files: Record<string, Body | Route>): void;
  removeFile(urlPath: string): void;
  /** Apply `fault` to requests for `urlPath` (`'*'`: any path). The latest matching fault wins. */
  fault(urlPath: string, fault: Fault, options?: FaultOptions): void;
  clearFaults(): void;
  /** Number of requests received for `urlPath` (any method, query ignored). */
  count(urlPath: string): number;
  /** Resolves `urlPath` against `url`. */
  urlOf(urlPath: string): string;
  /** Stops listening and destroys every open connection (hung and trickling ones included). */
  close(): Promise<void>;
}

export interface MirrorServerOptions {
  files?: Record<string, Body | Route>;
  /** Serve HTTPS with this key and certificate (see test-ca.ts). */
  tls?: TlsOptions;
}

interface ArmedFault {
  urlPath: string;
  fault: Fault;
  remaining: number;
}

interface Content {
  bytes: Buffer;
  etag: string;
  status: number;
  headers: Record<string, string>;
}

/** Fixed so that If-Modified-Since works the same on every run. */
const LAST_MODIFIED = new Date('2025-10-11T00:00:00Z');

export async function startMirrorServer(options: MirrorServerOptions = {}): Promise<MirrorServer> {
  const routes = new Map<string, Route>();
  const fileCache = new Map<string, Promise<Buffer>>();
  const faults: ArmedFault[] = [];
  /** Trickle intervals and pending resets, cleared on close. */
  const timers = new Set<NodeJS.Timeout>();
  const requests: ServedRequest[] = [];
  let baseUrl = '';

  const content = async (route: Route, request: ServedRequest): Promise<Content> => {
    const { body } = route;
    let reply: Reply;
    if (typeof body === 'function') {
      const computed = body(request);
      reply = typeof computed === 'string' || computed instanceof Uint8Array ? { body: computed } : computed;
    } else if (typeof body === 'string' || body instanceof Uint8Array) {
      reply = { body };
    } else {
      const cached = fileCache.get(body.file) ?? readFile(body.file);
      fileCache.set(body.file, cached);
      reply = { body: await cached };
    }
    const bytes = Buffer.from(reply.body);
    const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
    return { bytes, etag, status: reply.status ?? 200, headers: reply.headers ?? {} };
  };

  const takeFault = (urlPath: string): Fault | undefined => {
    for (let i = faults.length - 1; i >= 0; i--) {
      const armed = faults[i]!;
      if (armed.urlPath !== urlPath && armed.urlPath !== '*') continue;
      armed.remaining--;
      if (armed.remaining <= 0) faults.splice(i, 1);
      return armed.fault;
    }
    return undefined;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', baseUrl);
    const request: ServedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      headers: req.headers,
      baseUrl,
      at: performance.now(),
    };
    requests.push(request);
    const fault = takeFault(url.pathname);
    if (fault && (await applyFault(fault, request, req, res))) return;
    const route = routes.get(url.pathname);
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const served = await content(route, request);
    if (fault?.kind === 'flip-byte') served.bytes = flipByte(served.bytes, fault.offset);
    sendContent(req, res, route, served);
  };

  /** Handles the faults that replace the response; returns false for those that alter the content. */
  const applyFault = async (
    fault: Fault,
    request: ServedRequest,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<boolean> => {
    const socket = req.socket;
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers });
        res.end(fault.body ?? `${fault.status} ${http.STATUS_CODES[fault.status] ?? ''}\n`);
        return true;
      case 'redirect':
        res.writeHead(fault.status ?? 302, { location: fault.location }).end();
        return true;
      case 'redirect-loop':
        res.writeHead(302, { location: `${request.path}${request.query ? `?${request.query}` : ''}` }).end();
        return true;
      case 'hang':
        return true;
      case 'serve': {
        const route = routes.get(fault.path);
        if (!route) throw new Error(`fault 'serve': nothing is served at ${fault.path}`);
        sendContent(req, res, route, await content(route, request));
        return true;
      }
      case 'flip-byte':
        return false;
    }
    // The rest break HTTP framing on purpose, so they write the response on the raw socket. No
    // `connection: close`: undici takes a reset of such a connection for the end of the body.
    const route = routes.get(request.path);
    const bytes = route ? (await content(route, request)).bytes : Buffer.alloc(0);
    const head = (length: number) =>
      `HTTP/1.1 200 OK\r\ncontent-type: ${contentTypeOf(request.path, route)}\r\ncontent-length: ${length}\r\n\r\n`;
    switch (fault.kind) {
      case 'reset':
        socket.write(head(bytes.length));
        socket.write(bytes.subarray(0, fault.afterBytes ?? bytes.length >> 1), () => {
          // Reset at once after the write callback, the peer often sees a FIN instead (measured, Node 20
          // on Linux); a short pause makes the RST reliable.
          const timer = setTimeout(() => resetSocket(socket), 20);
          timers.add(timer);
        });
        return true;
      case 'truncate':
        socket.write(head(bytes.length));
        socket.end(bytes.subarray(0, fault.bytes ?? bytes.length >> 1));
        return true;
      case 'content-length':
        socket.write(head(bytes.length + fault.delta));
        socket.end(bytes);
        return true;
      case 'trickle':
        socket.write(head(bytes.length));
        paced(socket, bytes, 1, fault.intervalMs ?? 1000);
        return true;
      case 'throttle': {
        const intervalMs = 20;
        socket.write(head(bytes.length));
        paced(socket, bytes, Math.max(1, Math.round((fault.bytesPerSecond * intervalMs) / 1000)), intervalMs);
        return true;
      }
    }
  };

  /** Writes `bytes` in pieces of `step`, one every `intervalMs`, then ends the connection. */
  const paced = (socket: Socket, bytes: Buffer, step: number, intervalMs: number) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= bytes.length || socket.destroyed) {
        clearInterval(timer);
        timers.delete(timer);
        socket.end();
        return;
      }
      socket.write(bytes.subarray(sent, sent + step));
      sent += step;
    }, intervalMs);
    timers.add(timer);
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`test server error: ${error.message}\n`);
    });
  };
  const server = await serve(listener, options.tls);
  const { port } = server;
  baseUrl = server.origin;

  const setFile = (urlPath: string, body: Body | Route) => {
    routes.set(urlPath, isRoute(body) ? body : { body });
  };
  for (const [urlPath, body] of Object.entries(options.files ?? {})) setFile(urlPath, body);

  return {
    url: baseUrl,
    port,
    requests,
    setFile,
    setFiles: (files) => {
      for (const [urlPath, body] of Object.entries(files)) setFile(urlPath, body);
    },
    removeFile: (urlPath) => routes.delete(urlPath),
    fault: (urlPath, fault, { times = Number.POSITIVE_INFINITY } = {}) => {
      faults.push({ urlPath, fault, remaining: times });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    count: (urlPath) => requests.filter((request) => request.path === urlPath).length,
    urlOf: (urlPath) => new URL(urlPath, baseUrl).toString(),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await server.close();
    },
  };
}

function isRoute(value: Body | Route): value is Route {
  return typeof value === 'object' && value !== null && 'body' in value;
}

/** Normal serving: validators for conditional GETs (304), HEAD, Content-Length. */
function sendContent(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  route: Route,
  content: Content,
): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const headers = {
    'content-type': contentTypeOf(url.pathname, route),
    etag: content.etag,
    'last-modified': LAST_MODIFIED.toUTCString(),
    ...content.headers,
  };
  if (content.status === 200 && notModified(req, content.etag)) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(content.status, { ...headers, 'content-length': content.bytes.length });
  res.end(req.method === 'HEAD' ? undefined : content.bytes);
}

/** RFC 9110 §13.1: If-None-Match wins over If-Modified-Since when both are sent. */
function notModified(req: http.IncomingMessage, etag: string): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch.split(',').some((tag) => ['*', etag, `W/${etag}`].includes(tag.trim()));
  }
  const ifModifiedSince = req.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && LAST_MODIFIED.getTime() <= since;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.minisig': 'application/octet-stream',
  '.xz': 'application/x-xz',
  '.zip': 'application/zip',
  '.whl': 'application/octet-stream',
};

function contentTypeOf(urlPath: string, route: Route | undefined): string {
  return route?.contentType ?? CONTENT_TYPES[path.extname(urlPath)] ?? 'application/octet-stream';
}

function flipByte(bytes: Buffer, offset = bytes.length >> 1): Buffer {
  const flipped = Buffer.from(bytes);
  flipped[offset] = (flipped[offset] ?? 0) ^ 0x01;
  return flipped;
}

/** A TCP RST where the socket allows it (plain TCP); TLS sockets are destroyed without close_notify. */
function resetSocket(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function' && !('encrypted' in socket)) socket.resetAndDestroy();
  else socket.destroy();
}
