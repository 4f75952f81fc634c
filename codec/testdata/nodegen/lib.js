'use strict';
// Shared by generate.js and verify.js: loading the two stores, the DynamoDB
// client, the express app harness, and the DynamoDB JSON wire format that
// internal/ddbjson (Go) reads and writes byte for byte.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} = require('@aws-sdk/client-dynamodb');
const express = require('express');
const session = require('express-session');

const TESTDATA = path.resolve(__dirname, '..');
const FIXTURES = path.join(TESTDATA, 'fixtures');
const GOLDEN = path.join(TESTDATA, 'golden');
const HANDMADE = path.join(__dirname, 'handmade');

// The express-session secret used for every fixture. It is public on purpose:
// the cookie-signature interop tests need it.
const SECRET = 'dynamosession-nodegen-secret';

// Both stores default to table "sessions" and hash key "id"; each gets its own
// table here so that their records never meet. options is what we pass to
// the store besides its client: only the table name. Every other setting,
// the key prefix included, is the store's default.
const STORES = {
  'connect-dynamodb': {
    pkg: 'connect-dynamodb',
    table: 'sessions-connect',
    prefix: 'sess:',
    options: { table: 'sessions-connect' },
  },
  pwrdrvr: {
    pkg: '@pwrdrvr/dynamodb-session-store',
    table: 'sessions-pwrdrvr',
    prefix: 'session#',
    options: { tableName: 'sessions-pwrdrvr' },
  },
};
const KEY_ATTR = 'id';

function ddbClient() {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    throw new Error('DYNAMODB_ENDPOINT is not set; run through scripts/dynamodb-local run -- node ...');
  }
  // Region and credentials come from the environment that scripts/dynamodb-local exports.
  return new DynamoDBClient({ endpoint });
}

function packageVersion(pkg) {
  return require(`${pkg}/package.json`).version;
}

// connectDynamoDB returns connect-dynamodb's store class, bound to express-session.
function connectDynamoDB() {
  return require('connect-dynamodb')(session);
}

// pwrdrvrStore returns @pwrdrvr/dynamodb-session-store's DynamoDBStore class.
function pwrdrvrStore() {
  // WORKAROUND: @pwrdrvr/dynamodb-session-store@1.1.0 as published cannot be
  // required. Its compiled dist/src/dynamodb-store.js line 7 reads
  //   const debug_1 = __importDefault(require("debug"));
  // and nothing defines __importDefault: the file neither inlines TypeScript's
  // helper nor imports it from tslib (the project's tsconfig sets
  // importHelpers, yet tslib is not a dependency and is never required). So
  // `require` throws
  //   ReferenceError: __importDefault is not defined
  // (seen with Node v20.20.2 before this workaround was added). We define
  // TypeScript's own helper globally, unchanged, before the first require; it
  // wraps a CommonJS module as { default: module }, which is what the
  // compiled code expects of "debug". Nothing else in the package needs it.
  if (typeof globalThis.__importDefault !== 'function') {
    globalThis.__importDefault = function __importDefault(mod) {
      return mod && mod.__esModule ? mod : { default: mod };
    };
  }
  return require('@pwrdrvr/dynamodb-session-store').DynamoDBStore;
}

// openStore returns a ready store of the named kind on client, its table
// created if missing. extra overrides store options (prefix, touchAfter).
async function openStore(name, client, extra = {}) {
  const { options, table } = STORES[name];
  if (name === 'connect-dynamodb') {
    const Store = connectDynamoDB();
    const store = new Store({ client, ...options, ...extra });
    // The store's own DescribeTable/CreateTable (hash key "id", 5/5
    // provisioned); it does not wait for the table to become ACTIVE.
    await store.initialize();
    await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: table });
    return store;
  }
  // pwrdrvr can create its table, but not usably in 1.1.0:
  // DynamoDBStore.create({ createTableOptions }) deletes createTableOptions
  // from the options before constructing the store and then calls
  // createTableIfNotExists(), which sends CreateTable with neither a billing
  // mode nor throughput; DynamoDB Local 3.1.0 rejects it with
  // "ValidationException: No provisioned throughput specified for the table"
  // whatever createTableOptions says. The constructor path does pass the
  // options but starts the creation without a way to await it. So we create the table exactly as createTableIfNotExists would
  // (hash key "id" of type S, then TTL on "expires"), with 5/5 throughput.
  await ensureTable(client, table, { ReadCapacityUnits: 5, WriteCapacityUnits: 5 });
  const DynamoDBStore = pwrdrvrStore();
  return new DynamoDBStore({ dynamoDBClient: client, ...options, ...extra });
}

async function ensureTable(client, table, throughput) {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: KEY_ATTR, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: KEY_ATTR, KeyType: 'HASH' }],
        ProvisionedThroughput: throughput,
      }),
    );
  } catch (err) {
    if (err.name !== 'ResourceInUseException') throw err;
    return; // exists already, TTL set when it was created
  }
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: table });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: 'expires', Enabled: true },
    }),
  );
}

// newApp returns an express app with express-session and the given store,
// configured the way most apps are: no resave, no empty sessions.
function newApp(store, cookie, secret = SECRET) {
  const app = express();
  app.use(
    session({
      store,
      secret,
      resave: false,
      saveUninitialized: false,
      cookie,
    }),
  );
  return app;
}

// listen starts app on a free loopback port and resolves to { base, close }.
function listen(app) {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        base: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(done)),
      });
    });
    server.on('error', reject);
  });
}

// signedCookieValue is express-session's cookie value for sid, computed here
// independently of express-session: "s:" + sid + "." + base64(HMAC-SHA256(sid,
// secret)) without trailing "=". The Cookie header carries it URL-encoded.
function signedCookieValue(sid, secret) {
  const mac = crypto.createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
  return `s:${sid}.${mac}`;
}

// ---- DynamoDB JSON wire format ------------------------------------------

const TAGS = new Set(['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL']);

// toWire turns a low-level SDK item ({ id: { S: 'x' }, b: { B: Uint8Array } })
// into plain JSON: binary becomes standard padded base64.
function toWire(item) {
  const out = {};
  for (const [name, v] of Object.entries(item)) out[name] = valueToWire(v, name);
  return out;
}

function valueToWire(v, where) {
  const tags = Object.keys(v).filter((k) => v[k] !== undefined);
  if (tags.length !== 1 || !TAGS.has(tags[0])) {
    throw new Error(`${where}: want one known type tag, got ${JSON.stringify(tags)}`);
  }
  const tag = tags[0];
  const x = v[tag];
  switch (tag) {
    case 'B':
      return { B: Buffer.from(x).toString('base64') };
    case 'BS':
      return { BS: x.map((b) => Buffer.from(b).toString('base64')) };
    case 'M':
      return { M: toWire(x) };
    case 'L':
      return { L: x.map((e, i) => valueToWire(e, `${where}[${i}]`)) };
    default:
      return { [tag]: x };
  }
}

// fromWire is the inverse of toWire, for PutItem.
function fromWire(item) {
  const out = {};
  for (const [name, v] of Object.entries(item)) out[name] = valueFromWire(v, name);
  return out;
}

function valueFromWire(v, where) {
  const tags = v && typeof v === 'object' ? Object.keys(v) : [];
  if (tags.length !== 1 || !TAGS.has(tags[0])) {
    throw new Error(`${where}: want one known type tag, got ${JSON.stringify(v)}`);
  }
  const tag = tags[0];
  const x = v[tag];
  switch (tag) {
    case 'B':
      return { B: Buffer.from(x, 'base64') };
    case 'BS':
      return { BS: x.map((b) => Buffer.from(b, 'base64')) };
    case 'M':
      return { M: fromWire(x) };
    case 'L':
      return { L: x.map((e, i) => valueFromWire(e, `${where}[${i}]`)) };
    default:
      return { [tag]: x };
  }
}

// canonicalJSON writes value exactly as Go's internal/ddbjson does (an
// encoding/json Encoder with SetIndent("", "  ") and SetEscapeHTML(false)):
// keys sorted by their UTF-8 bytes, two-space indent, empty containers as {}
// and [], U+2028 and U+2029 escaped, a final newline. JSON.stringify alone
// cannot do this: it puts integer-like keys first whatever the order.
function canonicalJSON(value) {
  return write(value, '') + '\n';
}

function write(v, indent) {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} as JSON`);
    return JSON.stringify(v);
  }
  if (typeof v === 'string') return JSON.stringify(v).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((e) => inner + write(e, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof v === 'object') {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${inner}${write(k, inner)}: ${write(v[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  throw new Error(`cannot write ${typeof v} as JSON`);
}

function writeJSON(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, canonicalJSON(value));
}

function readJSON(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

module.exports = {
  FIXTURES,
  GOLDEN,
  HANDMADE,
  KEY_ATTR,
  SECRET,
  STORES,
  canonicalJSON,
  ddbClient,
  fromWire,
  listen,
  newApp,
  openStore,
  packageVersion,
  readJSON,
  signedCookieValue,
  toWire,
  writeJSON,
};
