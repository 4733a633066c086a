import http from 'node:http';
import net, { type Socket } from 'node:net';
import { closeAll, listenOnLoopback } from './net.js';

/**
 * A forward HTTP proxy on 127.0.0.1 for `HTTPS_PROXY` / `HTTP_PROXY` tests: `CONNECT host:port` tunnels
 * (HTTPS through a proxy) and absolute-URI requests (`GET http://host/...`, plain HTTP through a proxy).
 * It only reaches loopback addresses: tests never send traffic off this machine through it. Kept apart
 * from the loopback server (net.ts) because a proxy forwards what it gets instead of answering it.
 */
export interface ProxiedRequest {
  method: string;
  /** `host:port` for CONNECT, the absolute URL otherwise. */
  target: string;
  /** The `Proxy-Authorization` header, when the client sent one. */
  authorization: string | undefined;
}

export interface ProxyServer {
  /** `http://127.0.0.1:<port>`, the value for `HTTPS_PROXY`/`HTTP_PROXY`. */
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** When set, requests without `Proxy-Authorization: Basic base64(user:password)` get 407. */
  credentials?: { user: string; password: string };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1' || host === '[::1]';
}

export async function startProxyServer(options: ProxyOptions = {}): Promise<ProxyServer> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const expected = options.credentials
    ? `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}`
    : undefined;
  const refusal = (req: http.IncomingMessage, host: string): string | undefined => {
    const authorization = req.headers['proxy-authorization'];
    requests.push({ method: req.method ?? 'GET', target: req.url ?? '', authorization });
    if (expected && authorization !== expected) return '407 Proxy Authentication Required';
    if (!isLoopback(host)) return '403 Forbidden';
    return undefined;
  };

  const server = http.createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URL expected\n');
      return;
    }
    const refused = refusal(req, target.hostname);
    if (refused) {
      res.writeHead(Number(refused.slice(0, 3)), { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(target, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    const [host = '', port = ''] = splitHostPort(req.url ?? '');
    const refused = refusal(req, host);
    if (refused) {
      client.end(`HTTP/1.1 ${refused}\r\nproxy-authenticate: Basic realm="test"\r\n\r\n`);
      return;
    }
    sockets.add(client);
    const upstream = net.connect(Number(port), host.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', drop).on('close', drop);
    client.on('error', drop).on('close', drop);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, requests, close: () => closeAll(server, sockets) };
}

/** `host:port` or `[v6]:port`. */
function splitHostPort(authority: string): [string, string] {
  const at = authority.lastIndexOf(':');
  return [authority.slice(0, at), authority.slice(at + 1)];
}
