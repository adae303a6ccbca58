// The floor for bench/vs-alertmanager.mjs: what Node itself costs on this machine for the
// same load. A bare node:http server that answers each POST 202 once its body is read and
// forwards that body to the sink with a keep-alive agent: no parsing, no storage, no fsync,
// no rules. Herald does all of that on top, so its events/s can only approach this.
//
//   node bench/floor-server.mjs <sink url> [max sockets]   → prints "listening <port>"
import http from 'node:http';

const [sinkUrl, maxSockets = '64'] = process.argv.slice(2);
if (!sinkUrl) {
  console.error('usage: node bench/floor-server.mjs <sink url> [max sockets]');
  process.exit(2);
}
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(maxSockets) });
let failures = 0;

function forward(body) {
  const req = http.request(sinkUrl, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } });
  req.on('response', (res) => res.resume());
  req.on('error', (error) => {
    if (++failures <= 3) console.error(`floor: forwarding failed: ${error.message}`);
  });
  req.end(body);
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
    forward(Buffer.concat(chunks));
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  agent.destroy();
  process.exit(0);
});
