import { spawn } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Clock } from '../../src/clock.js';

/**
 * The one loopback server of the tests: `serve` starts a real HTTP(S) server on 127.0.0.1 around a request
 * handler, records every request and connection, and `close()` ends every connection it has, hung ones
 * included. mirror-server.ts (files, faults), pypi-server.ts and zig-mirror.ts are route tables on top of
 * it; tests of the HTTP client's own edge cases pass a handler directly. Also here: a raw-bytes server
 * (`serveRaw`) and a port that never accepts (`unacceptedPort`), for what an HTTP server cannot be made to
 * do, and the forward proxy's listen/close (proxy-server.ts). The one other server, Python's http.server
 * (python-mirror.ts), is a different implementation on purpose.
 */

export interface LoggedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` (or https). */
  origin: string;
  port: number;
  requests: LoggedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export async function serve(
  handler: Handler,
  tls?: { key: string | Buffer; cert: string | Buffer },
): Promise<TestServer> {
  const requests: LoggedRequest[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const onRequest: Handler = (request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    handler(request, response);
  };
  // Key and certificate only: a caller's object may also hold its CA, which the server would then send along.
  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, onRequest)
    : http.createServer(onRequest);
  // Hung requests must stay hung as long as a test needs; close() ends them.
  server.requestTimeout = 0;
  // The raw TCP sockets, TLS or not: destroying them ends a TLS connection too.
  server.on('connection', (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server);
  return {
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () => closeAll(server, sockets),
  };
}

/**
 * A server that answers every connection by writing `response` (status line, headers and body, as raw
 * bytes) and closing its side at once, as a plain HTTP/1.0 server does: the client sees the headers, the
 * body and the FIN back to back, whatever pace it reads at. Its `requests` stays empty (nothing is parsed).
 */
export async function serveRaw(response: Buffer): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => socket.end(response));
  });
  const port = await listenOnLoopback(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests: [],
    connections: () => connections,
    close: () => closeAll(server, sockets),
  };
}

/** Listens on a free port of 127.0.0.1. */
export function listenOnLoopback(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

/** Stops listening and destroys every connection still open, so close() never waits on a client. */
export function closeAll(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  // http and https servers track their keep-alive connections themselves too.
  if (server instanceof http.Server || server instanceof https.Server) server.closeAllConnections();
  return closed;
}

/** A clock whose sleeps return at once and are recorded, so backoff is asserted rather than waited. */
export function instantClock(start = Date.parse('2025-06-01T00:00:00Z')): Clock & {
  sleeps: number[];
  advance(ms: number): void;
} {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    monotonic: () => performance.now(),
    random: () => 0.5,
    advance: (ms) => {
      now += ms;
    },
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
  };
}

/**
 * A port whose listener never accepts and whose accept queue is full, so that a new connection attempt
 * hangs in the TCP handshake: a real connect timeout. The listener is a child process that blocks its
 * event loop right after listening; the queue is filled until a connection stops completing.
 */
export async function unacceptedPort(): Promise<{ port: number; close(): void }> {
  const script = `require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () {
    process.stdout.write(this.address().port + '\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (data) => resolve(Number(data))),
  );
  const fillers: net.Socket[] = [];
  for (let completed = true; completed; ) {
    const socket = net.connect(port, '127.0.0.1').on('error', () => undefined);
    fillers.push(socket);
    completed = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 500);
    });
  }
  return {
    port,
    close() {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
    },
  };
}
