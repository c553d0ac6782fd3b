// Ports for the servers the product and the tests start: free, and out of the range the kernel
// gives outgoing connections (so none of those can take it before the server binds it).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortsStart, freeLocalPort } from '../../src/processes';

describe('freeLocalPort', () => {
  it('answers ports below the ephemeral range that a server can listen on', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freeLocalPort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(port).toBeLessThan(ephemeralPortsStart());
    }
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    expect((server.address() as net.AddressInfo).port).toBe(ports[0]);
    await new Promise((resolve) => server.close(resolve));
  });

  it("reads the kernel's ephemeral range where there is one", () => {
    expect(ephemeralPortsStart()).toBeGreaterThan(1024);
  });
});
