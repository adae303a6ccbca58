// A loopback webhook sink that holds every request for a while before answering 200, so a
// test can kill a sender while its sends are open. It knows which process sent each open
// request (the peer's socket inode, looked up in /proc: Linux only), and counts what it
// accepted per marker found in the body.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

export interface HoldingSink {
  url: string;
  /** Bodies answered 200, in order, with when (Date.now()). */
  accepted: Array<{ body: string; at: number }>;
  /** Requests received and not answered yet, with the peer's local port. */
  open(): Array<{ body: string; peerPort: number }>;
  /** How many accepted bodies contain `marker`. */
  count(marker: string): number;
  /** When each accepted body containing `marker` was answered. */
  acceptedAt(marker: string): number[];
  close(): Promise<void>;
}

export async function startHoldingSink(holdMs: number): Promise<HoldingSink> {
  const accepted: Array<{ body: string; at: number }> = [];
  const open = new Set<{ body: string; peerPort: number }>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const peerPort = req.socket.remotePort ?? 0;
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { body: Buffer.concat(chunks).toString('utf8'), peerPort };
      open.add(entry);
      const timer = setTimeout(() => {
        open.delete(entry);
        // Counted only when the answer can reach the sender: a dead sender's send is not delivered.
        if (req.socket.destroyed) return;
        accepted.push({ body: entry.body, at: Date.now() });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }, holdMs);
      // The sender went away before the answer (killed): the send was not delivered.
      res.on('close', () => {
        if (res.writableEnded) return;
        clearTimeout(timer);
        open.delete(entry);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    accepted,
    open: () => [...open],
    count: (marker) => accepted.filter((a) => a.body.includes(marker)).length,
    acceptedAt: (marker) => accepted.filter((a) => a.body.includes(marker)).map((a) => a.at),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The local TCP ports of `pid`'s sockets (from /proc/<pid>/fd and /proc/net/tcp{,6}). */
export function tcpPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]!);
      } catch {
        // closed while we looked
      }
    }
  } catch {
    return new Set();
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || !inodes.has(cols[9]!)) continue;
      ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}
