// An independent check of signed requests, written from docs/platform-api.md alone (no code of the studio's): an
// HTTP server on a loopback port that answers 200 when a request's signature is right and its X-Timestamp is within
// five minutes of this server's clock, 401 otherwise, with the signed string it computed. tests/inspector/test_curl.py
// runs the real `curl` on the studio's Copy-as-cURL text against it.
//
//   VERIFY_KEYS='{"apiKey": "secret"}' node verify_signature.js   -> prints the port, then serves
//   GET /_clock?offset=301 moves this server's clock by that many seconds (to check the window).
'use strict';
const http = require('http');
const crypto = require('crypto');

const secrets = JSON.parse(process.env.VERIFY_KEYS || '{}');
const WINDOW_SECONDS = 300;
let clockOffset = 0;

// The documented order is by code point; Array.prototype.sort's default compares UTF-16 code units.
function byCodePoint(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function canonicalBody(body) {
  return Object.keys(body)
    .filter((k) => body[k] !== null && body[k] !== undefined && !(typeof body[k] === 'string' && body[k].trim() === ''))
    .sort(byCodePoint)
    .map((k) => `${k}=${typeof body[k] === 'string' ? body[k].trim() : JSON.stringify(body[k])}`)
    .join('&');
}

function canonicalQuery(params) {
  return [...params.entries()]
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function verify(req, body) {
  const h = req.headers;
  for (const name of ['authorization', 'x-timestamp', 'x-signature', 'x-request-id', 'x-user-id']) {
    if (!h[name]) return { ok: false, reason: `missing ${name}` };
  }
  const bearer = /^Bearer (.+)$/.exec(h.authorization);
  if (!bearer || !Object.prototype.hasOwnProperty.call(secrets, bearer[1])) return { ok: false, reason: 'unknown API key' };
  const timestamp = Number(h['x-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 + clockOffset - timestamp) > WINDOW_SECONDS) {
    return { ok: false, reason: 'X-Timestamp is outside the 5-minute window' };
  }
  const url = new URL(req.url, 'http://verifier');
  const type = h['content-type'] || '';
  const multipart = type.startsWith('multipart/');
  const fields = !multipart && body.length ? JSON.parse(body.toString('utf8')) : {};
  const base = [req.method, url.pathname, h['x-timestamp'], h['x-user-id'], canonicalQuery(url.searchParams),
    canonicalBody(fields)].join('\n');
  const expected = Buffer.from(crypto.createHmac('sha256', secrets[bearer[1]]).update(base, 'utf8').digest('hex'));
  const given = Buffer.from(String(h['x-signature']).toLowerCase());
  const ok = expected.length === given.length && crypto.timingSafeEqual(expected, given);
  const file = multipart ? /filename="([^"]*)"/.exec(body.toString('latin1')) : null;
  return { ok, reason: ok ? 'signature verified' : 'signature mismatch', base, multipart, filename: file && file[1],
    bytes: body.length };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let answer;
    if (req.url.startsWith('/_clock')) {
      clockOffset = Number(new URL(req.url, 'http://verifier').searchParams.get('offset') || 0);
      answer = { ok: true, offset: clockOffset };
    } else {
      try {
        answer = verify(req, Buffer.concat(chunks));
      } catch (error) {
        answer = { ok: false, reason: `unreadable request: ${error.message}` };
      }
    }
    res.writeHead(answer.ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
