'use strict';
// generate.js runs a real express app with express-session and each Node
// session store against DynamoDB (DYNAMODB_ENDPOINT, normally DynamoDB Local
// started by scripts/dynamodb-local), drives it over HTTP, reads the raw items
// back with GetItem and writes them to ../fixtures as DynamoDB JSON, with a
// .meta.json beside each. Run it with `npm run generate`; see README.md.

const assert = require('node:assert/strict');
const path = require('node:path');
const { GetItemCommand } = require('@aws-sdk/client-dynamodb');
const {
  FIXTURES,
  KEY_ATTR,
  SECRET,
  STORES,
  ddbClient,
  listen,
  newApp,
  openStore,
  packageVersion,
  signedCookieValue,
  toWire,
  writeJSON,
} = require('./lib');

const COOKIE_NAME = 'connect.sid'; // express-session's default
const MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

// The session data a login handler stores: every JSON type, text and keys
// that encoders mangle, numbers at the edges of what a JS number holds
// exactly, an empty string, empty containers, a Date, and an undefined
// property (which JSON and the pwrdrvr marshaller both drop).
function loginData() {
  return {
    user: {
      id: 42,
      name: 'Zoë Ångström',
      email: 'zoe@example.com',
      roles: ['admin', 'editor'],
      address: { city: 'Zürich', zip: '8001', geo: { lat: 47.3769, lng: 8.5417 } },
    },
    greeting: 'héllo wörld — 你好 🌍 <b>&amp;</b> "quoted" \\ back\\slash\nnew line\ttab',
    empty: '',
    visits: 1,
    negative: -17,
    zero: 0,
    maxSafeInteger: Number.MAX_SAFE_INTEGER,
    ratio: 1.5,
    pi: Math.PI,
    tenth: 0.1 + 0.2,
    tiny: 1e-7,
    loggedIn: true,
    admin: false,
    nothing: null,
    missing: undefined,
    cart: [
      { sku: 'A-1', qty: 2, price: 9.99 },
      { sku: 'B-2', qty: 1, price: 0.5 },
    ],
    tags: ['a', 'b', 'c'],
    mixed: [1, 'two', true, null, { three: 3 }, [4]],
    emptyList: [],
    emptyObject: {},
    // Keys that sort differently by UTF-16 (JS) and UTF-8 (Go), and
    // integer-like keys, which JS objects always list first.
    labels: { z: 'zed', Z: 'Zed', é: 'accent', '🌍': 'globe', '！': 'fullwidth' },
    seenProducts: { 1017: true, 42: false, sku: null },
    lineSeparator: 'a\u2028b\u2029c',
    signedUpAt: new Date('2024-02-29T12:34:56.789Z'),
  };
}

// typesOf describes what the handler sees, so the fixtures record what each
// store turns a Date into (a string after a reload).
function typesOf(v) {
  if (v === null) return 'null';
  if (v instanceof Date) return 'Date';
  if (Array.isArray(v)) return v.map(typesOf);
  if (typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v)) if (k !== 'cookie') out[k] = typesOf(v[k]);
    return out;
  }
  return typeof v;
}

function view(req) {
  return { sessionID: req.sessionID, session: req.session, types: typesOf(req.session) };
}

// trackCalls logs each request the store sends, via a middleware on the
// store's own client: when it was sent (so meta.written_ms is the moment of
// the write that produced the record, not a guess) and, for reads, whether
// it asked for a strongly consistent read.
function trackCalls(client) {
  const log = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const m = /^(GetItem|PutItem|UpdateItem|DeleteItem)Command$/.exec(context.commandName || '');
      if (m) {
        const call = { ms: Date.now(), command: m[1] };
        if (m[1] === 'GetItem') call.consistentRead = args.input.ConsistentRead ?? null;
        log.push(call);
      }
      return next(args);
    },
    { step: 'initialize', name: 'nodegenTrackCalls' },
  );
  return log;
}

const isWrite = (c) => c.command === 'PutItem' || c.command === 'UpdateItem';

class Run {
  constructor(storeName) {
    this.storeName = storeName;
    this.conf = STORES[storeName];
    this.raw = ddbClient(); // only for GetItem: never the store's client
    this.versions = {
      store: packageVersion(this.conf.pkg),
      'express-session': packageVersion('express-session'),
      express: packageVersion('express'),
      '@aws-sdk/client-dynamodb': packageVersion('@aws-sdk/client-dynamodb'),
      '@aws-sdk/lib-dynamodb': packageVersion('@aws-sdk/lib-dynamodb'),
    };
  }

  async rawItem(sid) {
    const { Item } = await this.raw.send(
      new GetItemCommand({
        TableName: this.conf.table,
        Key: { [KEY_ATTR]: { S: this.conf.prefix + sid } },
        ConsistentRead: true,
      }),
    );
    return Item ? toWire(Item) : null;
  }

  // app starts an express app on a store of its own, with the handlers the
  // cases use, and returns helpers to drive it.
  async app({ cookie, storeOptions = {} }) {
    const client = ddbClient();
    const calls = trackCalls(client);
    const errors = [];
    const store = await openStore(this.storeName, client, storeOptions);
    const app = newApp(store, cookie);
    const snapshots = new Map();
    const snapshot = async (name, req) => {
      snapshots.set(name, {
        item: await this.rawItem(req.sessionID),
        view: JSON.parse(JSON.stringify(view(req))),
        callsSoFar: calls.slice(),
      });
    };

    app.post('/login', (req, res) => {
      Object.assign(req.session, loginData());
      res.json(view(req));
    });
    app.get('/read', (req, res) => res.json(view(req)));
    app.post('/modify', (req, res) => {
      const s = req.session;
      s.visits += 1;
      s.user.name = 'Zoë Ångström-Müller';
      s.user.address.geo.lat = -33.8688;
      s.cart.push({ sku: 'C-3', qty: 3, price: 100 });
      delete s.tags;
      s.greeting = '';
      s.lastPage = '/checkout?step=2&x=<y>';
      s.updatedAt = new Date('2025-01-02T03:04:05.006Z');
      res.json(view(req));
    });
    // The pattern express-session's README gives for redirects: save
    // explicitly, then redirect. The save passes the cookie as loaded, so its
    // maxAge is the time left, not the configured one.
    app.post('/flash', (req, res, next) => {
      req.session.flash = 'Saved ✓';
      req.session.save(async (err) => {
        if (err) return next(err);
        try {
          await snapshot('flash-saved', req);
        } catch (e) {
          return next(e);
        }
        res.status(303).location('/read').json(view(req));
      });
    });
    // A request that loaded the session and is still running when another
    // request logs out: what does its store.touch do to the deleted record?
    let hold = null;
    app.get('/slow', async (req, res) => {
      const h = hold;
      h.entered();
      await h.released;
      res.json(view(req));
    });
    app.post('/logout', (req, res, next) => {
      const sessionID = req.sessionID;
      req.session.destroy((err) => (err ? next(err) : res.json({ sessionID, destroyed: true })));
    });
    // Errors a store reports after the response has gone (express-session
    // passes a failed touch to next) are kept for the caller to look at.
    app.use((err, req, res, _next) => {
      errors.push(err);
      if (!res.headersSent) res.status(500).json({ error: String(err && err.stack) });
    });

    const server = await listen(app);
    let cookieHeader = null;
    let lastSetCookie = null;
    return {
      snapshots,
      errors,
      // holdSlow makes the next GET /slow wait in its handler until release.
      holdSlow: () => {
        let entered;
        let release;
        const enteredP = new Promise((r) => (entered = r));
        const released = new Promise((r) => (release = r));
        hold = { entered, released };
        return { entered: enteredP, release };
      },
      // request sends one request with the cookie the app last set and
      // returns the response and the store's calls (those from index
      // `before` on were made during this request).
      request: async (method, urlPath) => {
        const sentCookie = cookieHeader;
        const before = calls.length;
        const res = await fetch(server.base + urlPath, {
          method,
          redirect: 'manual',
          headers: sentCookie ? { cookie: sentCookie } : {},
        });
        const body = await res.json();
        if (res.status >= 400) throw new Error(`${method} ${urlPath}: ${res.status} ${JSON.stringify(body)}`);
        const setCookie = res.headers.get('set-cookie');
        if (setCookie) {
          lastSetCookie = setCookie;
          cookieHeader = setCookie.split(';')[0];
        }
        return {
          body,
          request: { method, path: urlPath, cookie: sentCookie },
          setCookie,
          lastSetCookie,
          before,
          calls: calls.slice(),
        };
      },
      close: () => server.close(),
    };
  }

  // record writes <store>-<name>.json and .meta.json for a session.
  // item, view and callsSoFar default to the state after the response.
  async record(name, r, { item, view: seen, callsSoFar = r.calls, maxAge, storeOptions = {}, note }) {
    const sid = seen.sessionID;
    item = item || (await this.rawItem(sid));
    assert.ok(item, `${this.storeName} ${name}: no item for ${sid}`);
    assert.equal(item[KEY_ATTR].S, this.conf.prefix + sid, `${name}: key is prefix + sid`);

    // The cookie express-session sent must be "s:" + sid + "." + HMAC, as lib.js computes it independently.
    const cookieValue = decodeURIComponent(r.lastSetCookie.split(';')[0].slice(COOKIE_NAME.length + 1));
    assert.equal(cookieValue, signedCookieValue(sid, SECRET), `${name}: cookie is s:sid.HMAC`);

    const lastWrite = callsSoFar.filter(isWrite).at(-1);
    const during = callsSoFar.slice(r.before);
    const base = `${this.storeName}-${name}`;
    writeJSON(path.join(FIXTURES, `${base}.json`), item);
    writeJSON(path.join(FIXTURES, `${base}.meta.json`), {
      case: name,
      note,
      store: this.storeName,
      store_package: this.conf.pkg,
      store_version: this.versions.store,
      versions: this.versions,
      store_options: { ...this.conf.options, ...storeOptions },
      table: this.conf.table,
      key_attr: KEY_ATTR,
      table_prefix: this.conf.prefix,
      sid,
      secret: SECRET,
      cookie_name: COOKIE_NAME,
      cookie_value: cookieValue,
      set_cookie: r.lastSetCookie,
      set_cookie_in_this_response: r.setCookie !== null,
      request: r.request,
      max_age_ms: maxAge,
      written_ms: lastWrite.ms,
      written_by: lastWrite.command,
      store_calls_during_request: during.map(({ ms: _ms, ...c }) => c),
      session: seen.session,
      session_types: seen.types,
    });
    console.log(`wrote ${base}: expires=${item.expires && item.expires.N} sess=${item.sess ? Object.keys(item.sess)[0] : '(none)'}`);
  }

  // logoutRace: GET /slow loads the session and waits; meanwhile POST
  // /logout destroys it (DeleteItem); then /slow ends and express-session,
  // seeing an unmodified session, calls store.touch on the deleted record.
  async logoutRace(d) {
    const h = d.holdSlow();
    const slowP = d.request('GET', '/slow');
    await h.entered;
    await d.request('POST', '/logout');
    h.release();
    const slow = await slowP;
    const during = slow.calls.slice(slow.before).map((c) => c.command);
    return { slow, during, item: await this.rawItem(slow.body.sessionID) };
  }

  async main() {
    const cookie = { maxAge: MAX_AGE_MS };
    const a = await this.app({ cookie });
    try {
      const created = await a.request('POST', '/login');
      await this.record('created', created, {
        view: created.body,
        maxAge: MAX_AGE_MS,
        note: 'POST /login without a cookie: express-session creates the session and calls store.set',
      });
      assert.equal(created.body.types.signedUpAt, 'Date');

      const read = await a.request('GET', '/read');
      await this.record('read', read, {
        view: read.body,
        maxAge: MAX_AGE_MS,
        note: 'GET /read with the cookie, session unchanged: express-session calls store.touch',
      });
      // What the app gets back is what JSON would give it: the Date is now a
      // string, undefined is gone, everything else is equal, except that
      // pwrdrvr adds its lastModified to the session the app sees.
      const { cookie: _c1, lastModified, ...readBack } = read.body.session;
      const { cookie: _c2, ...written } = JSON.parse(JSON.stringify(created.body.session));
      assert.deepEqual(readBack, written);
      assert.equal(read.body.types.signedUpAt, 'string');
      if (this.storeName === 'pwrdrvr') {
        assert.match(lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      } else {
        assert.equal(lastModified, undefined);
      }

      const modified = await a.request('POST', '/modify');
      await this.record('modified', modified, {
        view: modified.body,
        maxAge: MAX_AGE_MS,
        note: 'POST /modify: counters, nested fields, a deleted key, a new Date; express-session calls store.set',
      });

      const flash = await a.request('POST', '/flash');
      const saved = a.snapshots.get('flash-saved');
      await this.record('flash-saved', flash, {
        ...saved,
        maxAge: MAX_AGE_MS,
        note: 'POST /flash: the record right after the handler called req.session.save() itself (cookie as loaded, maxAge = time left), read inside the save callback',
      });
      await this.record('flash', flash, {
        view: flash.body,
        maxAge: MAX_AGE_MS,
        note: 'POST /flash after the response ended: express-session saw the session already saved and called store.touch',
      });

      const race = await this.logoutRace(a);
      if (this.storeName === 'connect-dynamodb') {
        // connect-dynamodb's touch is an unconditional UpdateItem, so it
        // brings back a stub of the deleted session: id and expires only.
        assert.deepEqual(Object.keys(race.item).sort(), ['expires', 'id']);
        await this.record('touch-after-logout', race.slow, {
          item: race.item,
          view: race.slow.body,
          maxAge: MAX_AGE_MS,
          note: 'GET /slow loaded the session, POST /logout deleted it, then /slow ended and store.touch ran: the UpdateItem recreated the item without sess',
        });
      } else {
        // With the default touchAfter (3600 s) the touch is skipped.
        assert.equal(race.item, null);
        console.log(`observed ${this.storeName} logout race (touchAfter default): calls ${JSON.stringify(race.during)}, item absent`);
      }
    } finally {
      await a.close();
    }

    // No maxAge: a browser-session cookie. Both stores then pick the expiry.
    const b = await this.app({ cookie: {} });
    try {
      const created = await b.request('POST', '/login');
      await this.record('browser-session', created, {
        view: created.body,
        maxAge: null,
        note: 'POST /login with no cookie maxAge (browser-session cookie): the store picks the expiry',
      });
      const read = await b.request('GET', '/read');
      await this.record('browser-session-read', read, {
        view: read.body,
        maxAge: null,
        note: 'GET /read of the browser-session cookie session: does the store touch?',
      });
    } finally {
      await b.close();
    }

    if (this.storeName === 'pwrdrvr') {
      // pwrdrvr only touches when touchAfter seconds (default 3600) have
      // passed since sess.lastModified; with touchAfter 1 a read two seconds
      // later shows what its touch writes.
      const storeOptions = { touchAfter: 1 };
      const c = await this.app({ cookie, storeOptions });
      try {
        await c.request('POST', '/login');
        await new Promise((resolve) => setTimeout(resolve, 2100));
        const touched = await c.request('GET', '/read');
        assert.deepEqual(touched.calls.slice(touched.before).filter(isWrite).map((c) => c.command), ['UpdateItem']);
        await this.record('touched', touched, {
          view: touched.body,
          maxAge: MAX_AGE_MS,
          storeOptions,
          note: 'touchAfter 1, GET /read 2.1 s after login: the store touch updates expires and sess.lastModified',
        });

        // The same race as above, now with a touch that does write.
        await new Promise((resolve) => setTimeout(resolve, 2100));
        const race = await this.logoutRace(c);
        assert.equal(race.item, null);
        const err = c.errors.at(-1);
        console.log(
          `observed ${this.storeName} logout race (touchAfter 1): calls ${JSON.stringify(race.during)}, item absent, ` +
            `touch error: ${err ? `${err.name}: ${err.message}` : 'none'}`,
        );
      } finally {
        await c.close();
      }
    }
  }
}

async function main() {
  for (const name of Object.keys(STORES)) {
    await new Run(name).main();
  }
  console.log('generate: done');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
