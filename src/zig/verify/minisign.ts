import { createHash, createPublicKey, type Hash, verify } from 'node:crypto';
import { XccError } from '../../errors.js';

/**
 * Minisign verification (https://jedisct1.github.io/minisign/), as Zig signs its downloads: algorithm `ED`
 * (Ed25519 over the BLAKE2b-512 of the file) and a global signature over signature || trusted comment.
 * On top of what minisign itself checks, the trusted comment's `file:` must name the file that was asked
 * for: a mirror could otherwise serve an older, validly signed tarball (ziglang.org's mirror protocol
 * requires this check: https://ziglang.org/download/community-mirrors/).
 */

/** Each way verification can fail has its own reason, so callers can react (try another mirror...). */
export type MinisignFailure =
  | 'malformed-key'
  | 'malformed-signature'
  | 'legacy-refused'
  | 'key-id-mismatch'
  | 'bad-signature'
  | 'bad-global-signature'
  | 'no-file-name'
  | 'file-mismatch';

export class MinisignError extends XccError {
  override name = 'MinisignError';
  readonly reason: MinisignFailure;

  constructor(reason: MinisignFailure, message: string) {
    // A malformed key comes from the user's configuration (bad input); everything else is a bad download.
    super(message, { exitCode: reason === 'malformed-key' ? 2 : 1 });
    this.reason = reason;
  }
}

export interface MinisignPublicKey {
  /** 8 random bytes chosen when the key pair was made; signatures carry it to name their key. */
  keyId: Buffer;
  /** The raw Ed25519 public key (32 bytes). */
  publicKey: Buffer;
}

export interface MinisignSignature {
  /** `ED`: signs the BLAKE2b-512 of the file. `Ed`: legacy, signs the file itself. */
  algorithm: 'ED' | 'Ed';
  keyId: Buffer;
  /** Ed25519 signature (64 bytes) of the file or of its digest. */
  signature: Buffer;
  /** The text after `trusted comment: `, covered by the global signature. */
  trustedComment: string;
  /** Ed25519 signature (64 bytes) of signature || trusted comment. */
  globalSignature: Buffer;
}

/** What was signed: the BLAKE2b-512 digest (computed while streaming) or, for legacy signatures, the bytes. */
export type SignedContent = { blake2b512: Uint8Array } | { bytes: Uint8Array };

export interface VerifyOptions {
  /** The base name of the file that was asked for; the trusted comment's `file:` must equal it. */
  fileName: string;
  /** Accept legacy `Ed` signatures. Off by default, as minisign's specification asks of new implementations. */
  allowLegacy?: boolean;
}

export interface VerifiedSignature {
  /** Key id in minisign's display form (e.g. `D900E7558DAD3A86`). */
  keyId: string;
  fileName: string;
  /** Signing time (seconds since the epoch) when the trusted comment carries `timestamp:`. */
  timestamp: number | undefined;
  trustedComment: string;
}

const PUBLIC_KEY_ALGORITHM = 'Ed';
const KEY_ID_BYTES = 8;
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const UNTRUSTED_PREFIX = 'untrusted comment: ';
const TRUSTED_PREFIX = 'trusted comment: ';

/** Hasher for `ED` signatures: feed it the file while it downloads, then pass `{ blake2b512: digest() }`. */
export function createPrehash(): Hash {
  return createHash('blake2b512');
}

/** Minisign shows key ids as a little-endian 64-bit number in upper-case hex. */
export function formatKeyId(keyId: Uint8Array): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

/** Accepts the bare base64 key or the content of a `minisign.pub` file (untrusted comment line + key). */
export function parsePublicKey(text: string): MinisignPublicKey {
  const malformed = (detail: string) =>
    new MinisignError(
      'malformed-key',
      `malformed minisign public key: ${detail}; XCC_ZIG_PUBKEY takes the key line of a minisign.pub file (56 base64 characters starting with "RW")`,
    );
  const lines = splitLines(text.trim());
  if (lines.length === 2 && !lines[0]!.startsWith('untrusted comment:')) {
    throw malformed('the first of two lines must start with "untrusted comment:"');
  }
  if (lines.length === 0 || lines.length > 2) throw malformed(`expected 1 or 2 lines, got ${lines.length}`);
  const bytes = decodeBase64(lines.at(-1)!.trim(), 2 + KEY_ID_BYTES + PUBLIC_KEY_BYTES, 'the key', malformed);
  const algorithm = bytes.subarray(0, 2).toString('latin1');
  if (algorithm !== PUBLIC_KEY_ALGORITHM) throw malformed(`unknown algorithm ${JSON.stringify(algorithm)}`);
  return { keyId: bytes.subarray(2, 2 + KEY_ID_BYTES), publicKey: bytes.subarray(2 + KEY_ID_BYTES) };
}

/**
 * Parses a `.minisig` file strictly: exactly four lines (untrusted comment, signature, trusted comment,
 * global signature), each with its exact prefix, canonical base64 of the exact length. `source` names the
 * file in error messages.
 */
export function parseSignature(text: string, source = 'signature'): MinisignSignature {
  const malformed = (detail: string) =>
    new MinisignError(
      'malformed-signature',
      `${source}: malformed minisign signature: ${detail}; the mirror served a broken .minisig, download it from another mirror`,
    );
  const lines = splitLines(text);
  if (lines.length !== 4) throw malformed(`expected 4 lines, got ${lines.length}`);
  const [untrusted, signatureLine, trusted, globalLine] = lines as [string, string, string, string];
  if (!untrusted.startsWith(UNTRUSTED_PREFIX))
    throw malformed(`line 1 does not start with "${UNTRUSTED_PREFIX}"`);
  if (!trusted.startsWith(TRUSTED_PREFIX)) throw malformed(`line 3 does not start with "${TRUSTED_PREFIX}"`);
  const signed = decodeBase64(
    signatureLine,
    2 + KEY_ID_BYTES + SIGNATURE_BYTES,
    'line 2 (signature)',
    malformed,
  );
  const algorithm = signed.subarray(0, 2).toString('latin1');
  if (algorithm !== 'ED' && algorithm !== 'Ed') {
    throw malformed(`unknown signature algorithm ${JSON.stringify(algorithm)} (expected "ED")`);
  }
  return {
    algorithm,
    keyId: signed.subarray(2, 2 + KEY_ID_BYTES),
    signature: signed.subarray(2 + KEY_ID_BYTES),
    trustedComment: trusted.slice(TRUSTED_PREFIX.length),
    globalSignature: decodeBase64(globalLine, SIGNATURE_BYTES, 'line 4 (global signature)', malformed),
  };
}

export interface TrustedCommentFields {
  /** `file:` values, in order (a well-formed comment has exactly one). */
  files: string[];
  timestamp: number | undefined;
}

/** Minisign's default trusted comment is `timestamp:<unix>\tfile:<basename>` plus `\thashed` for `ED`. */
export function parseTrustedComment(comment: string): TrustedCommentFields {
  const fields: TrustedCommentFields = { files: [], timestamp: undefined };
  for (const field of comment.split('\t')) {
    if (field.startsWith('file:')) fields.files.push(field.slice('file:'.length));
    const timestamp = /^timestamp:(\d+)$/.exec(field)?.[1];
    if (timestamp !== undefined) fields.timestamp = Number(timestamp);
  }
  return fields;
}

/**
 * Checks everything a `.minisig` says about itself, before the (large) file is downloaded: the algorithm,
 * the key id, the global signature over signature || trusted comment, and that the trusted comment names
 * `options.fileName`. Throws a MinisignError whose `reason` says which check failed.
 */
export function verifyTrustedComment(
  key: MinisignPublicKey,
  signature: MinisignSignature,
  options: VerifyOptions,
): VerifiedSignature {
  const { fileName } = options;
  if (signature.algorithm === 'Ed' && !options.allowLegacy) {
    throw new MinisignError(
      'legacy-refused',
      `${fileName}: legacy minisign signature (algorithm "Ed", over the raw file) refused; re-sign it with minisign 0.10 or newer (prehashed "ED" is its default), or allow legacy signatures explicitly (allowLegacy)`,
    );
  }
  if (!signature.keyId.equals(key.keyId)) {
    throw new MinisignError(
      'key-id-mismatch',
      `${fileName}: signed by minisign key ${formatKeyId(signature.keyId)}, but the trusted key is ${formatKeyId(key.keyId)}; for a private mirror signed with its own key, set XCC_ZIG_PUBKEY to that mirror's public key`,
    );
  }
  const globalMessage = Buffer.concat([signature.signature, Buffer.from(signature.trustedComment, 'utf8')]);
  if (!verify(null, globalMessage, keyObject(key), signature.globalSignature)) {
    throw new MinisignError(
      'bad-global-signature',
      `${fileName}: the .minisig was altered (its global signature, over the signature and the trusted comment, does not verify); download it again from another mirror`,
    );
  }
  return { ...checkFileName(signature.trustedComment, fileName), keyId: formatKeyId(key.keyId) };
}

/** Everything verifyTrustedComment checks, then that `signature` signs `content`. */
export function verifySignature(
  key: MinisignPublicKey,
  signature: MinisignSignature,
  content: SignedContent,
  options: VerifyOptions,
): VerifiedSignature {
  const verified = verifyTrustedComment(key, signature, options);
  if (!verify(null, signedMessage(signature, content), keyObject(key), signature.signature)) {
    throw new MinisignError(
      'bad-signature',
      `${options.fileName}: minisign signature does not match the file (the file was altered or corrupted in transit, or signed by another key); download it again from another mirror`,
    );
  }
  return verified;
}

function keyObject(key: MinisignPublicKey) {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey.toString('base64url') },
    format: 'jwk',
  });
}

function checkFileName(trustedComment: string, fileName: string) {
  const { files, timestamp } = parseTrustedComment(trustedComment);
  if (files.length !== 1) {
    throw new MinisignError(
      'no-file-name',
      `${fileName}: the signature's trusted comment must name exactly one file ("file:<name>"), got ${JSON.stringify(trustedComment)}; a signature that does not say which file it is for could belong to any file, so it is refused`,
    );
  }
  if (files[0] !== fileName) {
    throw new MinisignError(
      'file-mismatch',
      `${fileName}: the signature is for ${files[0]}, not ${fileName}: possible downgrade (a mirror served another validly signed file); download it from another mirror`,
    );
  }
  return { fileName, timestamp, trustedComment };
}

function signedMessage(signature: MinisignSignature, content: SignedContent): Uint8Array {
  if (signature.algorithm === 'Ed') {
    // Legacy signatures sign the whole file, which therefore cannot be checked from a streamed digest.
    if (!('bytes' in content))
      throw new Error('a legacy minisign signature needs the file bytes, not a digest');
    return content.bytes;
  }
  return 'bytes' in content ? createPrehash().update(content.bytes).digest() : content.blake2b512;
}

/** Minisign writes `\n` line endings; files that went through Windows tools get `\r\n`, which minisign accepts. */
function splitLines(text: string): string[] {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Strict: canonical base64 only (Buffer.from alone silently skips invalid characters). */
function decodeBase64(
  text: string,
  length: number,
  what: string,
  malformed: (detail: string) => Error,
): Buffer {
  const bytes = Buffer.from(text, 'base64');
  if (text.length === 0 || bytes.toString('base64') !== text) throw malformed(`${what} is not valid base64`);
  if (bytes.length !== length) throw malformed(`${what} is ${bytes.length} bytes, expected ${length}`);
  return bytes;
}
