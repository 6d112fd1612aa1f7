// jszmq's side of the interop (interop/ws/run.sh): connects to this library's
// bound socket and plays the other half of zmq_side.c's exchange.
//
//   node driver.js req|rep|sub|pub <endpoint>
//
// Prints DONE and exits 0, or FAIL <why> and exits 1; gives up after 15 s.
'use strict';
const zmq = require('jszmq');

const [mode, endpoint] = process.argv.slice(2);
const fail = (why) => { console.log('FAIL ' + why); process.exit(1); };
const done = () => { console.log('DONE'); process.exit(0); };
setTimeout(() => fail('timed out'), 15000);
// jszmq reconnects once this library's side has finished and gone; its refused
// connects surface as uncaught errors. A publisher is then done; others ignore them.
process.on('uncaughtException', (e) => {
  if (e && e.code === 'ECONNREFUSED') {
    if (mode === 'pub') done();
    return;
  }
  fail(String(e));
});

if (mode === 'req') {
  // Against zmq_side rep: requests of two parts, a large one, then quit.
  const req = new zmq.Req();
  req.connect(endpoint);
  const bodies = [];
  for (let i = 0; i < 10; i++) bodies.push('hello ' + i);
  bodies.push('y'.repeat(100000));
  bodies.push('quit');
  let i = 0;
  req.on('message', (a, b) => {
    if (a.toString() !== 're:' + bodies[i].slice(0, 200)) fail('answer ' + i + ': ' + a.toString().slice(0, 40));
    if (!b || b.toString() !== 'part two') fail('second part ' + i);
    i++;
    if (i === bodies.length) done();
    req.send([bodies[i], 'part two']);
  });
  req.send([bodies[0], 'part two']);
} else if (mode === 'rep') {
  // Against zmq_side req: answers ["re:" a, b].
  const rep = new zmq.Rep();
  rep.connect(endpoint);
  let n = 0;
  rep.on('message', (a, b) => {
    rep.send(['re:' + a.toString(), b]);
    if (++n === 11) setTimeout(done, 100);
  });
} else if (mode === 'sub') {
  // Against zmq_side pub: only what was subscribed to arrives.
  const sub = new zmq.Sub();
  sub.connect(endpoint);
  sub.subscribe('topic-a');
  let n = 0;
  sub.on('message', (m) => {
    if (!m.toString().startsWith('topic-a ')) fail('unsubscribed ' + m.toString());
    if (++n === 5) done();
  });
} else if (mode === 'pub') {
  // Against zmq_side sub: publishes both topics until the subscriber is done.
  const pub = new zmq.Pub();
  pub.connect(endpoint);
  let i = 0;
  setInterval(() => {
    pub.send('topic-b ' + i);
    pub.send('topic-a ' + i);
    i++;
  }, 10);
} else {
  fail('usage: driver.js req|rep|sub|pub <endpoint>');
}
