'use strict';
// verify.js is the reverse of generate.js: it takes records written by the Go
// codecs (DynamoDB JSON items with a .meta.json beside each), puts each raw
// item into DynamoDB (DYNAMODB_ENDPOINT) and checks that the real Node store
// returns the session the meta file wants, first through store.get and then
// through express-session with a cookie signed for the session ID.
//
// Usage: node verify.js [DIR|FILE.json ...]
// Default: every record in ../golden (when it exists) and in ./handmade.
// Prints one PASS or FAIL line per record; exits 1 if any record fails.
//
// A .meta.json holds
//   { "store": "connect-dynamodb" | "pwrdrvr", "table_prefix": "sess:",
//     "sid": "...", "want": { ...session... } | null }
// and may add "key_attr" (default "id") and "secret" (for the cookie).
// want null means the store must report no session (expired, say).
//
// Comparison: deep and strict (types count: 1 is not "1"), with one
// exception: when want has no top-level "cookie", the "cookie" the store
// returns is ignored, because it is express-session's bookkeeping rather
// than the application's data. When want has a "cookie" it is compared too.

const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { PutItemCommand } = require('@aws-sdk/client-dynamodb');
const {
  GOLDEN,
  HANDMADE,
  KEY_ATTR,
  SECRET,
  STORES,
  ddbClient,
  fromWire,
  listen,
  newApp,
  openStore,
  readJSON,
  signedCookieValue,
} = require('./lib');

// records lists the item files under the given directories and files.
function records(args) {
  const roots = args.length > 0 ? args.map((a) => path.resolve(a)) : [GOLDEN, HANDMADE].filter((d) => fs.existsSync(d));
  const files = [];
  for (const root of roots) {
    if (fs.statSync(root).isDirectory()) {
      for (const f of fs.readdirSync(root).sort()) {
        if (f.endsWith('.json') && !f.endsWith('.meta.json')) files.push(path.join(root, f));
      }
    } else {
      files.push(root);
    }
  }
  return files;
}

// show prints a value with its JS types visible (a Set, a Uint8Array or a
// BigInt would all look wrong or throw in JSON).
function show(v) {
  return util.inspect(v, { depth: null, breakLength: Infinity });
}

// compare returns null when got matches want, or a message.
function compare(got, want, what) {
  const ignored = [];
  if (want && got && typeof want === 'object' && typeof got === 'object' && !('cookie' in want) && 'cookie' in got) {
    const { cookie: _cookie, ...rest } = got;
    got = rest;
    ignored.push('cookie');
  }
  if (util.isDeepStrictEqual(got, want)) return { ok: true, ignored };
  return {
    ok: false,
    message: `${what} differs from want:\n  got:  ${show(got)}\n  want: ${show(want)}`,
  };
}

class Verifier {
  constructor() {
    this.client = ddbClient();
    this.stores = new Map(); // "store\0prefix" -> store
  }

  async store(name, prefix) {
    const key = `${name}\0${prefix}`;
    if (!this.stores.has(key)) this.stores.set(key, await openStore(name, this.client, { prefix }));
    return this.stores.get(key);
  }

  // check runs every check on one record and returns the ignored fields, or
  // throws an Error whose message says what failed.
  async check(file) {
    const metaFile = file.replace(/\.json$/, '.meta.json');
    if (!fs.existsSync(metaFile)) throw new Error(`no ${path.basename(metaFile)} beside it`);
    const meta = readJSON(metaFile);
    const conf = STORES[meta.store];
    if (!conf) throw new Error(`meta.store ${JSON.stringify(meta.store)} is not one of ${Object.keys(STORES).join(', ')}`);
    for (const field of ['table_prefix', 'sid']) {
      if (typeof meta[field] !== 'string') throw new Error(`meta.${field} must be a string`);
    }
    if (!('want' in meta)) throw new Error('meta.want is missing (use null for "no session")');
    const keyAttr = meta.key_attr || KEY_ATTR;
    if (keyAttr !== KEY_ATTR) throw new Error(`meta.key_attr ${keyAttr}: the tables here use "${KEY_ATTR}"`);

    const item = fromWire(readJSON(file));
    const wantKey = meta.table_prefix + meta.sid;
    if (!item[keyAttr] || item[keyAttr].S !== wantKey) {
      throw new Error(`item ${keyAttr} is ${JSON.stringify(item[keyAttr])}, want {"S":${JSON.stringify(wantKey)}}`);
    }
    const expires = item.expires && item.expires.N !== undefined ? Number(item.expires.N) : null;
    const expiredNote =
      meta.want !== null && expires !== null && expires * 1000 <= Date.now()
        ? ` (note: expires ${item.expires.N} is in the past; a record meant to be read must expire in the future)`
        : '';

    const store = await this.store(meta.store, meta.table_prefix);
    await this.client.send(new PutItemCommand({ TableName: conf.table, Item: item }));

    // 1. The store's own get.
    const got = await util.promisify(store.get.bind(store))(meta.sid);
    const direct = compare(got ?? null, meta.want, 'store.get');
    if (!direct.ok) throw new Error(direct.message + expiredNote);

    // 2. express-session, with a cookie we signed ourselves.
    const seen = await this.throughExpress(store, meta);
    if (meta.want === null) {
      if (seen.body.sessionID === meta.sid) throw new Error('express-session loaded a session where want is null');
    } else {
      if (seen.status !== 200) throw new Error(`express-session answered ${seen.status}: ${seen.body.error}`);
      if (seen.body.sessionID !== meta.sid) {
        throw new Error(`express-session did not load the session (new ID ${seen.body.sessionID}): cookie or store rejected it`);
      }
      const viaApp = compare(seen.body.session, meta.want, 'req.session');
      if (!viaApp.ok) throw new Error(viaApp.message);
    }
    if (seen.errors.length > 0) {
      throw new Error(`the store reported an error during the request: ${seen.errors.map((e) => `${e.name}: ${e.message}`).join('; ')}`);
    }
    return direct.ignored;
  }

  async throughExpress(store, meta) {
    const secret = meta.secret || SECRET;
    const app = newApp(store, {}, secret);
    // The handler serialises req.session as it sees it, before express-session
    // touches it at the end of the request.
    app.get('/peek', (req, res) => res.json({ sessionID: req.sessionID, session: req.session }));
    const errors = [];
    app.use((err, req, res, _next) => {
      errors.push(err);
      if (!res.headersSent) res.status(500).json({ error: `${err.name}: ${err.message}` });
    });
    const server = await listen(app);
    try {
      const cookie = `connect.sid=${encodeURIComponent(signedCookieValue(meta.sid, secret))}`;
      const res = await fetch(`${server.base}/peek`, { headers: { cookie } });
      const body = await res.json();
      // A store error in touch reaches the error handler on a later tick,
      // after the response has been written.
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { status: res.status, body, errors };
    } finally {
      await server.close();
    }
  }
}

async function main() {
  const files = records(process.argv.slice(2));
  if (files.length === 0) {
    console.error('verify: no records found');
    process.exit(1);
  }
  const v = new Verifier();
  let failed = 0;
  for (const file of files) {
    const testdata = path.resolve(__dirname, '..');
    const name = file.startsWith(testdata + path.sep) ? path.relative(testdata, file) : file;
    try {
      const ignored = await v.check(file);
      console.log(`PASS ${name}${ignored.length ? ` (ignored: ${ignored.join(', ')})` : ''}`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${name}: ${err.message}`);
    }
  }
  console.log(`verify: ${files.length - failed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
