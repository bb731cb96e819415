// A tiny, independent JavaScript reference of the platform's canonicalisation (platform-api.md), used by
// tests/test_signing.py to cross-check the Python implementation against what a JavaScript server computes.
// Protocol: one JSON object per line on stdin, one JSON answer per line on stdout.
//   {"op": "body", "text": "<JSON body as sent>"} -> {"canonical": "...", "stringified": "...", "values": {...}}
//   {"op": "whitespace"}                          -> {"codes": [code points String.prototype.trim removes]}
'use strict';
const readline = require('readline');

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
    .filter((k) => {
      const v = body[k];
      return v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === '');
    })
    .sort(byCodePoint)
    .map((k) => {
      const v = body[k];
      return `${k}=${typeof v === 'string' ? v.trim() : JSON.stringify(v)}`;
    })
    .join('&');
}

function whitespace() {
  const codes = [];
  for (let c = 0; c <= 0x10ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const s = String.fromCodePoint(c);
    if ((s + 'a' + s).trim() === 'a') codes.push(c);
  }
  return codes;
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  const request = JSON.parse(line);
  let answer;
  if (request.op === 'body') {
    const body = JSON.parse(request.text);
    const values = Object.create(null); // so a '__proto__' field is an ordinary key
    for (const k of Object.keys(body)) values[k] = JSON.stringify(body[k]);
    answer = { canonical: canonicalBody(body), stringified: JSON.stringify(body), values };
  } else if (request.op === 'whitespace') {
    answer = { codes: whitespace() };
  } else {
    answer = { error: `unknown op ${request.op}` };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
