// A lean HTTP/1.1 load generator and sink for the ingest bench. The bench shares the 2
// cores with the hub it measures: node:http's client and server cost ~200 µs of CPU per
// request, which the hub would then not get. This is what wrk does: keep-alive sockets,
// requests serialized once, responses read just far enough to find the status and the end.
import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');

/** Splits a byte stream into HTTP messages (head + Content-Length body); calls onMessage(head, body) for each. */
function messageReader(onMessage) {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    for (;;) {
      const end = buffered.indexOf(HEADER_END);
      if (end < 0) return;
      const head = buffered.toString('latin1', 0, end);
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const length = match ? Number(match[1]) : 0;
      const total = end + 4 + length;
      if (buffered.length < total) return;
      const body = buffered.subarray(end + 4, total);
      buffered = buffered.subarray(total);
      onMessage(head, body);
    }
  };
}

/** A keep-alive connection sending one request at a time; `send(bytes)` resolves with the status code. */
export async function leanConnection(host, port) {
  const socket = net.connect({ host, port, noDelay: true });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let waiting;
  let answered = 0;
  socket.on(
    'data',
    messageReader((head) => {
      const w = waiting;
      waiting = undefined;
      answered++;
      w?.resolve(Number(head.slice(9, 12)));
    }),
  );
  let alive = true;
  socket.on('error', (error) => waiting?.reject(error));
  socket.on('close', () => {
    alive = false;
    waiting?.reject(new Error('connection closed'));
  });
  return {
    /** False once the server closed it (an idle keep-alive connection times out). */
    get alive() {
      return alive;
    },
    /** Responses read on it so far (0: a new connection). */
    get answered() {
      return answered;
    },
    send(bytes) {
      return new Promise((resolve, reject) => {
        if (!alive) return reject(new Error('connection closed'));
        waiting = { resolve, reject };
        socket.write(bytes);
      });
    },
    close: () => socket.destroy(),
  };
}

/** Up to `size` connections, each used by one request at a time. */
export function leanPool(host, port, size) {
  const idle = [];
  let open = 0;
  const queue = [];
  const acquire = async () => {
    // Connections the server closed while idle are dropped, as any keep-alive client does.
    while (idle.length > 0) {
      const connection = idle.pop();
      if (connection.alive) return connection;
      open--;
    }
    if (open < size) {
      open++;
      return leanConnection(host, port);
    }
    return new Promise((resolve) => queue.push(resolve));
  };
  const release = (connection) => {
    if (!connection.alive) {
      open--;
      return;
    }
    const next = queue.shift();
    if (next) next(connection);
    else idle.push(connection);
  };
  return {
    async send(bytes) {
      for (let attempt = 0; ; attempt++) {
        const connection = await acquire();
        const reused = connection.answered > 0;
        try {
          return await connection.send(bytes);
        } catch (error) {
          // A keep-alive connection the server closed for idleness as this request went out
          // (its timeout, ~5 s, can end just as a round starts): the server never read it,
          // so it is sent once more on a new connection, as a browser does.
          if (attempt > 0 || !reused || !/connection closed|ECONNRESET|EPIPE/.test(`${error.message} ${error.code}`)) throw error;
        } finally {
          release(connection);
        }
      }
    },
    close: () => idle.forEach((c) => c.close()),
  };
}

/** A POST request's bytes. */
export function requestBytes(path, headers, body) {
  const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', `content-length: ${body.length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

const OK = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok', 'latin1');

/** A keep-alive sink answering 200 to every request; onRequest(body) sees each body. */
export async function leanSink(onRequest) {
  const sockets = new Set();
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on(
      'data',
      messageReader((_head, body) => {
        onRequest(body);
        socket.write(OK);
      }),
    );
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
