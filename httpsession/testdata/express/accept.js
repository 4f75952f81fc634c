'use strict';
// accept.js feeds a session that Go's httpsession.Manager issued in Express
// mode (go-issued.json: the Set-Cookie header and the DynamoDB item) to the
// real express-session with the real connect-dynamodb store, against
// DynamoDB Local (DYNAMODB_ENDPOINT), and records what they did in
// express-result.json, which the Go tests read. Run it with `npm run
// accept`; see README.md.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  waitUntilTableExists,
} = require('@aws-sdk/client-dynamodb');
const express = require('express');
const session = require('express-session');
const signature = require('cookie-signature'); // express-session's own signer

const IN = path.join(__dirname, 'go-issued.json');
const OUT = path.join(__dirname, 'express-result.json');
const MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

function client() {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set; run through scripts/dynamodb-local run -- node accept.js');
  return new DynamoDBClient({ endpoint });
}

function version(pkg) {
  return require(`${pkg}/package.json`).version;
}

// The items here hold only S and N attributes (the JSON codec), which the
// low-level client takes exactly as DynamoDB JSON writes them.
function checkPlain(item) {
  for (const [name, v] of Object.entries(item)) {
    const tag = Object.keys(v)[0];
    assert.ok(tag === 'S' || tag === 'N', `${name}: only S and N expected, got ${tag}`);
  }
  return item;
}

// app returns an express app configured as a connect-dynamodb app sharing
// the Go service's table: connect.sid cookie, 14-day maxAge, behind a TLS
// proxy (the Go cookie is Secure, so express-session only sends cookies on
// requests it believes are HTTPS).
async function app(db, table, secrets) {
  const DynamoDBStore = require('connect-dynamodb')(session);
  const store = new DynamoDBStore({ client: db, table });
  await store.initialize();
  await waitUntilTableExists({ client: db, maxWaitTime: 60 }, { TableName: table });
  const a = express();
  a.set('trust proxy', 1);
  a.use(session({ store, secret: secrets, resave: false, saveUninitialized: false, cookie: { maxAge: MAX_AGE_MS } }));
  a.get('/whoami', (req, res) => res.json({ sessionID: req.sessionID, session: req.session }));
  a.post('/visit', (req, res) => {
    req.session.visits = (req.session.visits || 0) + 1;
    res.json({ sessionID: req.sessionID, session: req.session });
  });
  a.use((err, req, res, _next) => res.status(500).json({ error: String(err && err.message) }));
  return new Promise((resolve) => {
    const server = a.listen(0, '127.0.0.1', () =>
      resolve({ base: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }),
    );
  });
}

async function main() {
  const go = JSON.parse(fs.readFileSync(IN, 'utf8'));
  const expiresS = Number(go.item.expires.N);
  if (expiresS * 1000 <= Date.now()) {
    throw new Error(`go-issued.json expired at ${new Date(expiresS * 1000).toISOString()}: run \`go test ./httpsession -run TestGoIssuedSession -update\` first`);
  }
  const db = client();
  const rawItem = async (sid) => {
    const { Item } = await db.send(
      new GetItemCommand({ TableName: go.table, Key: { id: { S: go.table_prefix + sid } }, ConsistentRead: true }),
    );
    return Item ? checkPlain(Item) : null;
  };
  // What a browser holding Go's Set-Cookie sends back: name=value.
  const goCookie = go.set_cookie.split(';')[0];
  const scenarios = {};

  const run = async (name, note, secrets, method, urlPath, cookie, sid) => {
    const server = await app(db, go.table, secrets);
    try {
      const res = await fetch(server.base + urlPath, {
        method,
        headers: { cookie, 'x-forwarded-proto': 'https' },
      });
      scenarios[name] = {
        note,
        secrets,
        request_cookie: cookie,
        status: res.status,
        body: await res.json(),
        set_cookie: res.headers.get('set-cookie'),
        item_after: await rawItem(sid),
      };
    } finally {
      server.close();
    }
  };

  // connect-dynamodb creates the table with its own key schema (hash key id).
  {
    const server = await app(db, go.table, [go.secret]);
    server.close();
  }
  await db.send(new PutItemCommand({ TableName: go.table, Item: checkPlain(go.item) }));

  await run('read', 'GET with the Go cookie: express-session verifies it and loads the Go record', [go.secret], 'GET', '/whoami', goCookie, go.sid);
  await run('modify', 'POST changes the session: express-session saves it with connect-dynamodb and sends the cookie again', [go.secret], 'POST', '/visit', goCookie, go.sid);
  await run('rotated', 'express-session with a new secret first and the Go one second: it verifies the Go cookie and signs with the new secret', ['express-new-secret', go.secret], 'POST', '/visit', goCookie, go.sid);

  // The same record without the cookie object a Manager writes in Express
  // mode (express.Session): what express-session does with it.
  const bare = JSON.parse(go.item.sess.S);
  delete bare.cookie;
  const bareSID = 'goSessionWithoutCookieObject0000000000000000';
  await db.send(
    new PutItemCommand({
      TableName: go.table,
      Item: { ...go.item, id: { S: go.table_prefix + bareSID }, sess: { S: JSON.stringify(bare) } },
    }),
  );
  const bareCookie = `connect.sid=${encodeURIComponent('s:' + signature.sign(bareSID, go.secret))}`;
  await run('no-cookie-object', 'a Go record without the cookie object express-session keeps in each session', [go.secret], 'GET', '/whoami', bareCookie, bareSID);

  const out = {
    note: 'written by accept.js (npm run accept): what express-session and connect-dynamodb did with go-issued.json',
    versions: {
      'express-session': version('express-session'),
      'connect-dynamodb': version('connect-dynamodb'),
      express: version('express'),
      '@aws-sdk/client-dynamodb': version('@aws-sdk/client-dynamodb'),
      'cookie-signature': version('cookie-signature'),
      node: process.version,
    },
    input_sid: go.sid,
    scenarios,
  };
  fs.writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');
  for (const [name, s] of Object.entries(scenarios)) console.log(`${name}: ${s.status} ${s.set_cookie ? 'Set-Cookie' : 'no cookie'}`);
  console.log(`wrote ${OUT}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
