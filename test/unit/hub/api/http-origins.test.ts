// Which Host and Origin headers the api's HTTP server accepts: exactly what a browser sends
// for it (the bare name only on port 80), plus a reverse proxy's configured names.
import { describe, expect, it } from 'vitest';
import { allowedHostsAndOrigins } from '../../../../electron/hub/api/http-server.js';

describe('allowedHostsAndOrigins', () => {
  it.each<[string, number, string[], string, boolean]>([
    ['own port', 8788, [], 'http://127.0.0.1:8788', true],
    ['localhost, own port', 8788, [], 'http://localhost:8788', true],
    ['IPv6 loopback, own port', 8788, [], 'http://[::1]:8788', true],
    ['no port while not on 80', 8788, [], 'http://127.0.0.1', false],
    ['another port', 8788, [], 'http://127.0.0.1:8789', false],
    ['https', 8788, [], 'https://127.0.0.1:8788', false],
    ['a foreign name', 8788, [], 'http://evil.example:8788', false],
    ['no port on 80', 80, [], 'http://127.0.0.1', true],
    [':80 spelled out on 80', 80, [], 'http://localhost:80', true],
    ['a proxy name as configured', 8788, ['herald.example.com'], 'http://herald.example.com', true],
    ['a proxy name with our port', 8788, ['Herald.Example.com'], 'http://herald.example.com:8788', true],
  ])('origin: %s', (_name, port, extra, origin, allowed) => {
    expect(allowedHostsAndOrigins(port, extra).origins.has(origin)).toBe(allowed);
  });

  it.each<[string, number, string, boolean]>([
    ['name:port', 8788, '127.0.0.1:8788', true],
    ['bare name while not on 80', 8788, '127.0.0.1', false],
    ['bare localhost while not on 80', 8788, 'localhost', false],
    ['bare name on 80', 80, 'localhost', true],
    ['rebound DNS name', 8788, 'evil.example:8788', false],
  ])('host: %s', (_name, port, host, allowed) => {
    expect(allowedHostsAndOrigins(port).hosts.has(host)).toBe(allowed);
  });
});
