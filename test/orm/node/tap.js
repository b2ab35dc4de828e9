// tap.js: the TAP lines the ORM client programs print (test/t/074-076 relay
// them), the connection settings test/t passes in PGHOST/PGPORT/PGUSER (an
// unprivileged application role that owns its tables), a superuser
// connection for reading the audit log, and a LISTEN connection through pg
// that collects notify_change payloads.
'use strict';
const assert = require('node:assert');
const { Client } = require('pg');

let count = 0;
let failures = 0;

function report(pass, name, why) {
  count += 1;
  console.log(`${pass ? 'ok' : 'not ok'} ${count} - ${name}`);
  if (!pass) {
    failures += 1;
    for (const line of String(why).split('\n')) console.log(`# ${line}`);
  }
}

// ok(cond, name)
function ok(cond, name) {
  report(!!cond, name, 'condition was false');
}

// is(got, expected, name): deep strict equality
function is(got, expected, name) {
  try {
    assert.deepStrictEqual(got, expected);
    report(true, name);
  } catch (e) {
    report(false, name, `got:      ${JSON.stringify(got)}\nexpected: ${JSON.stringify(expected)}`);
  }
}

// rejects(promise, check, name): the promise fails and check(error) is true;
// returns the error
async function rejects(promise, check, name) {
  try {
    await promise;
    report(false, name, 'no error was raised');
    return null;
  } catch (e) {
    let pass = false;
    try { pass = !!check(e); } catch (_) { pass = false; }
    report(pass, name, `${e && e.constructor && e.constructor.name}: ${e && e.message}`);
    return e;
  }
}

// the test cluster: unix socket directory and port from test/t
function pgConfig() {
  return {
    host: process.env.PGHOST,
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER || 'postgres',
    database: process.env.PGDATABASE || 'postgres',
  };
}

// a pg connection as the cluster's superuser (ORMT_ADMIN_USER), for what
// the application role may not do: read orm_triggers.audit_log
async function adminClient() {
  const client = new Client({ ...pgConfig(), user: process.env.ORMT_ADMIN_USER || 'postgres' });
  await client.connect();
  return client;
}

// a pg connection LISTENing on a channel; .payloads holds the parsed
// notifications.  .sync() waits until every notification committed before
// it has arrived: it sends one of its own on the channel and waits for it
// (PostgreSQL delivers a channel's notifications in commit order).
async function listen(channel) {
  const client = new Client(pgConfig());
  await client.connect();
  const payloads = [];
  let marks = 0;
  const seen = new Set();
  client.on('notification', (msg) => {
    if (msg.channel !== channel) return;
    const p = JSON.parse(msg.payload);
    if (p && p.tapMark !== undefined) seen.add(p.tapMark);
    else payloads.push(p);
  });
  await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
  return {
    payloads,
    async sync() {
      const mark = ++marks;
      await client.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ tapMark: mark })]);
      for (let i = 0; i < 400 && !seen.has(mark); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      if (!seen.has(mark)) throw new Error(`no notification on ${channel} within 10 s`);
      return payloads;
    },
    end: () => client.end(),
  };
}

// run main(), turning an unexpected exception into a failed test; exits 1
// if anything failed (at once: open connections do not keep it waiting)
function run(main) {
  main()
    .catch((e) => report(false, 'the program ran to the end',
      `${e && e.constructor && e.constructor.name}: ${e && e.message}\n${e && e.stack}`))
    .finally(() => {
      console.log(`1..${count}`);
      process.exit(failures ? 1 : 0);
    });
}

module.exports = { ok, is, rejects, pgConfig, adminClient, listen, run };
