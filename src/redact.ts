/**
 * The one place that hides the secrets a URL can carry, for every URL xcc shows or stores: messages,
 * progress events, `--debug` output, doctor output, cache metadata, install markers. A private mirror or
 * package index is often reached as `https://user:token@host/...` (pip's own PIP_INDEX_URL convention)
 * or through a pre-signed link (`?X-Amz-Signature=...`, `?sig=...`, `?token=...`).
 *
 * Redacted: a URL's whole user-info (`user:password@` and a lone `token@` alike: the user name is often
 * the token), and the value of each query parameter whose name says it is secret. The rest of the URL,
 * `?source=xcc` included, stays as it was, so the message still says which host and file it was about.
 * Works on any text, so it can be applied to a whole message that merely contains URLs.
 */
export function redactUrls(text: string): string {
  return text.replace(USER_INFO, '$1****@').replace(SECRET_PARAMETER, '$1****');
}

/**
 * `scheme://<user-info>@`: everything up to the authority's last `@` (WHATWG URL parsing, so a raw `@` in
 * a password stays hidden too), stopping where the authority ends. `<` and `>` never appear raw in a
 * URL's user-info: a hint's placeholder (`http://<user>:<password>@proxy:port`) is left as it is.
 */
const USER_INFO = /\b([a-z][a-z\d+.-]*:\/\/)[^\s/?#<>]*@/gi;

/** A query parameter named like a secret: `token`, `access_token`, `api_key`, `sig`, `X-Amz-Signature`... */
const SECRET_PARAMETER =
  /([?&;][^\s=&#;]*(?:token|secret|passw(?:or)?d|pwd|key|sig|signature|credential|auth)[^\s=&#;]*=)[^\s&#;]*/gi;
