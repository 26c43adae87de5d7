import { once } from 'node:events';
import { createConnection, createServer, Socket } from 'node:net';
import { ConnectionArrivals } from './connection-arrivals';

/** Holds the thread, as a batch on the embedded database does. */
function holdThread(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('ConnectionArrivals', () => {
  it('takes in every connection that waited while the thread was held', async () => {
    const arrivals = new ConnectionArrivals();
    const server = createServer((socket) => socket.resume());
    const accepted: Socket[] = [];
    server.on('connection', (socket) => accepted.push(socket));
    arrivals.watch(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const clients = Array.from({ length: 40 }, () => createConnection({ port, host: '127.0.0.1' }));
    try {
      await Promise.all(clients.map((client) => once(client, 'connect')));
      holdThread(100);
      const before = accepted.length;

      await arrivals.letWaitingConnectionsIn();

      // One connection per turn: without the wait, one or two would be in by now.
      expect(before).toBeLessThan(40);
      expect(accepted).toHaveLength(40);
    } finally {
      for (const socket of [...clients, ...accepted]) socket.destroy();
      server.close();
    }
  });

  it('returns after two turns when no connection waits', async () => {
    const arrivals = new ConnectionArrivals();
    const started = performance.now();
    await arrivals.letWaitingConnectionsIn();
    expect(performance.now() - started).toBeLessThan(50);
  });
});
