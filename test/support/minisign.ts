import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';

import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A throwaway minisign signer for tests, so a loopback mirror can serve Zig tarballs signed the way
 * ziglang.org signs them (`minisign -Sm <file>` in ziglang/zig's release pipeline), with a key whose
 * public half tests hand to xcc through its public-key override.
 *
 * Formats (jedisct1/minisign `src/minisign.h`, `src/minisign.c`):
 * - public key: base64(`Ed` || key id (8) || Ed25519 public key (32)) — 56 characters;
 * - signature file, 4 LF-terminated lines: `untrusted comment: …`, base64(algorithm (2) || key id (8) ||
 *   signature (64)), `trusted comment: …`, base64(global signature (64));
 * - algorithm `ED` signs BLAKE2b-512(file) (Zig's, and minisign's default since 0.10); legacy `Ed` signs
 *   the file bytes;
 * - global signature = Ed25519(signature || trusted comment bytes).
 */
export interface MinisignKey {
  /** 8 random bytes that name the key; signatures carry them so a verifier can pick the right key. */
  keyId: Buffer;
  privateKey: KeyObject;
  /** base64 of `Ed` || key id || public key: the string a user pastes into a public-key setting. */
  publicKey: string;
}

export function generateMinisignKey(): MinisignKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return minisignKey(randomBytes(8), privateKey);
}

function minisignKey(keyId: Buffer, privateKey: KeyObject): MinisignKey {
  const rawPublic = Buffer.from(privateKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const publicKey = Buffer.concat([Buffer.from('Ed'), keyId, rawPublic]).toString('base64');
  return { keyId, privateKey, publicKey };
}

/** minisign shows a key id as the 8 bytes read as a little-endian u64, in upper-case hex. */
export function keyIdDisplay(keyId: Buffer): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

/** The `.pub` file `minisign -G` writes: an untrusted comment line, then the public key. */
export function publicKeyFileText(key: MinisignKey): string {
  return `untrusted comment: minisign public key ${keyIdDisplay(key.keyId)}\n${key.publicKey}\n`;
}

/** A JSON text that `parseMinisignKey` turns back into the key (test caches and vitest `provide`). */
export function serializeMinisignKey(key: MinisignKey): string {
  const jwk = key.privateKey.export({ format: 'jwk' });
  return `${JSON.stringify({ keyId: key.keyId.toString('hex'), seed: jwk.d, publicKey: jwk.x })}\n`;
}

export function parseMinisignKey(text: string): MinisignKey {
  const { keyId, seed, publicKey } = JSON.parse(text) as { keyId: string; seed: string; publicKey: string };
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: seed, x: publicKey },
    format: 'jwk',
  });
  return minisignKey(Buffer.from(keyId, 'hex'), privateKey);
}

export interface SignOptions {
  key: MinisignKey;
  /** The name put in the trusted comment's `file:`; defaults to the signed file's base name. */
  fileName?: string;
  /** Replaces the whole trusted comment (after `trusted comment: `). */
  trustedComment?: string;
  /** Legacy `Ed` signature over the raw bytes instead of `ED` over their BLAKE2b-512. */
  legacy?: boolean;
  untrustedComment?: string;
  /** Unix seconds for the default trusted comment; defaults to now. */
  timestamp?: number;
}

/** Signs a file like `minisign -S -m <file>` (prehashed unless `legacy`); returns the `.minisig` text. */
export async function signFile(file: string, options: SignOptions): Promise<string> {
  const message = options.legacy ? await readFile(file) : await blake2b512(file);
  return signatureText(message, { ...options, fileName: options.fileName ?? path.basename(file) });
}

/** Same as `signFile` for bytes already in memory; `fileName` names them in the trusted comment. */
export function signBytes(data: Uint8Array, options: SignOptions & { fileName: string }): string {
  const message = options.legacy ? Buffer.from(data) : createHash('blake2b512').update(data).digest();
  return signatureText(message, options);
}

function signatureText(message: Buffer, options: SignOptions & { fileName: string }): string {
  const { key, legacy = false } = options;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  // minisign's default_trusted_comment(): tab-separated, `\thashed` only for the prehashed algorithm.
  const trustedComment =
    options.trustedComment ?? `timestamp:${timestamp}\tfile:${options.fileName}${legacy ? '' : '\thashed'}`;
  const signature = sign(null, message, key.privateKey);
  const globalSignature = sign(null, Buffer.concat([signature, Buffer.from(trustedComment)]), key.privateKey);
  const algorithm = Buffer.from(legacy ? 'Ed' : 'ED');
  return [
    `untrusted comment: ${options.untrustedComment ?? 'signature from minisign secret key'}`,
    Buffer.concat([algorithm, key.keyId, signature]).toString('base64'),
    `trusted comment: ${trustedComment}`,
    globalSignature.toString('base64'),
    '',
  ].join('\n');
}

export async function blake2b512(file: string): Promise<Buffer> {
  const hash = createHash('blake2b512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest();
}

/**
 * A test oracle, written from the format description and checked against the published vectors and
 * real Zig signatures (test/infra/minisign.test.ts): reports each check separately, rejects nothing.
 */
export function verifyMinisign(publicKey: string, signatureText: string, message: Uint8Array) {
  const key = Buffer.from(publicKey, 'base64');
  const [untrustedComment, signatureLine = '', trustedLine = '', globalLine = ''] = signatureText.split('\n');
  const signature = Buffer.from(signatureLine, 'base64');
  const algorithm = signature.subarray(0, 2).toString();
  const ed25519 = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, key.subarray(10)]),
    format: 'der',
    type: 'spki',
  });
  const signed =
    algorithm === 'ED' ? createHash('blake2b512').update(message).digest() : Buffer.from(message);
  const trustedComment = trustedLine.replace(/^trusted comment: /, '');
  const globalSigned = Buffer.concat([signature.subarray(10), Buffer.from(trustedComment)]);
  return {
    untrustedComment,
    algorithm,
    keyIdMatches: signature.subarray(2, 10).equals(key.subarray(2, 10)),
    signatureValid: verify(null, signed, ed25519, signature.subarray(10)),
    globalValid: verify(null, globalSigned, ed25519, Buffer.from(globalLine, 'base64')),
    trustedComment,
    /** The `file:` of a trusted comment in Zig's form, when it has one. */
    fileName: /\tfile:([^\t]+)/.exec(trustedComment)?.[1],
  };
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw 32-byte key follows. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
