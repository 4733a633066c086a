import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { UsageError, XccError } from '../../errors.js';
import type { Env } from '../../home.js';
import { errorCode } from './failures.js';

export interface ProxySettings {
  httpProxy: string | undefined;
  httpsProxy: string | undefined;
  noProxy: string | undefined;
}

/**
 * Proxy settings from the environment, read from `env` (never from `process.env` behind the caller's back).
 * npm's own settings come first, as npm itself prefers them over the variables, so a postinstall script
 * goes through the proxy that installed the package; then the usual variables, lower case first like
 * curl and undici. HTTPS falls back to the HTTP proxy, as in undici's EnvHttpProxyAgent.
 */
export function proxySettings(env: Env = process.env): ProxySettings {
  const first = (...names: string[]) => {
    const name = names.find((candidate) => ![undefined, '', 'null'].includes(env[candidate]));
    return name === undefined ? undefined : { name, value: env[name]! };
  };
  const httpProxy = first('npm_config_proxy', 'http_proxy', 'HTTP_PROXY');
  const httpsProxy = first('npm_config_https_proxy', 'https_proxy', 'HTTPS_PROXY') ?? httpProxy;
  return {
    httpProxy: httpProxy && proxyUrl(httpProxy.name, httpProxy.value),
    httpsProxy: httpsProxy && proxyUrl(httpsProxy.name, httpsProxy.value),
    noProxy: first('npm_config_noproxy', 'no_proxy', 'NO_PROXY')?.value,
  };
}

const PROXY_PROTOCOLS = ['http:', 'https:', 'socks5:', 'socks:'];

/**
 * A proxy setting as undici wants it. `proxy.corp:3128` without a scheme means http://, as curl, pip and
 * npm read it (undici alone refuses it); anything that is still not a proxy URL is the user's to fix.
 */
function proxyUrl(name: string, value: string): string {
  const url = value.includes('://') ? value : `http://${value}`;
  if (!URL.canParse(url) || !PROXY_PROTOCOLS.includes(new URL(url).protocol)) {
    throw new UsageError(
      `${name}=${value} is not a proxy URL; write it like http://proxy.example:3128 (or unset it)`,
    );
  }
  return url;
}

/** The connection pool: the proxies, the trusted CAs and the connect timeout, all from `env`. */
export function createDispatcher(env: Env, connectMs: number): Dispatcher {
  const { httpProxy, httpsProxy, noProxy } = proxySettings(env);
  const ca = certificateAuthorities(env);
  const connect = { timeout: connectMs, ...(ca ? { ca } : {}) };
  // Empty strings, not undefined: EnvHttpProxyAgent would otherwise read process.env itself.
  return new EnvHttpProxyAgent({
    httpProxy: httpProxy ?? '',
    httpsProxy: httpsProxy ?? '',
    noProxy: noProxy ?? '',
    connect,
    proxyTls: connect,
    requestTls: connect,
    // http:// URLs go to the proxy as plain absolute-URI requests rather than CONNECT tunnels, as curl
    // does: proxies such as Squid allow CONNECT to port 443 only in their default configuration.
    proxyTunnel: false,
  });
}

/**
 * Node trusts NODE_EXTRA_CA_CERTS by itself (read once, at startup), and undici uses Node's default list,
 * so nothing is needed for it. npm's `cafile` setting, though, reaches a postinstall script only as
 * `npm_config_cafile`: trust that file too. Passing `ca` replaces Node's list, so the bundled roots and
 * the NODE_EXTRA_CA_CERTS file are added back. Undefined: keep Node's default list.
 */
function certificateAuthorities(env: Env): string[] | undefined {
  const npmCaFile = env.npm_config_cafile;
  if (!npmCaFile) return undefined;
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new XccError(
        `cannot read the CA certificates in ${file} (named by ${name}): ${errorCode(error)}; point it at a PEM file`,
        {
          cause: error,
        },
      );
    }
  };
  const extra = env.NODE_EXTRA_CA_CERTS ? [read('NODE_EXTRA_CA_CERTS', env.NODE_EXTRA_CA_CERTS)] : [];
  return [...tls.rootCertificates, ...extra, read('npm_config_cafile', npmCaFile)];
}
