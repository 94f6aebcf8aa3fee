// The playground's state (event text and options) <-> the URL hash, so a preview can be shared.
// `#z=` is deflate-raw + base64url (CompressionStream); `#j=` plain base64url JSON is also read,
// for browsers without CompressionStream.

const toBase64Url = (bytes) => {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

const fromBase64Url = (s) => {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

/** The hash (without `#`) for a state object. */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  if (typeof CompressionStream === 'function') {
    return `z=${toBase64Url(await pipe(json, new CompressionStream('deflate-raw')))}`;
  }
  return `j=${toBase64Url(json)}`;
}

/** The state in a hash (with or without `#`); null when there is none; throws when it is damaged. */
export async function decodeState(hash) {
  const m = /^#?([zj])=([A-Za-z0-9_-]*)$/.exec(hash ?? '');
  if (!m) return null;
  let bytes = fromBase64Url(m[2]);
  if (m[1] === 'z') bytes = await pipe(bytes, new DecompressionStream('deflate-raw'));
  const state = JSON.parse(new TextDecoder().decode(bytes));
  if (!state || typeof state !== 'object' || Array.isArray(state)) throw new Error('not a playground state');
  return state;
}
