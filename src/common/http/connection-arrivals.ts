import { Injectable } from '@nestjs/common';
import type { Server } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * The most turns one wait gives to waiting connections: Node's listen backlog (511) holds no
 * more, so a longer run means connections keep arriving, and the work behind must go on.
 */
const MAX_TURNS = 512;

/**
 * New connections the HTTP server has taken, for work that runs on this thread and holds it.
 *
 * Node's event loop (libuv 1.45 and later, so Node 20) accepts one waiting connection per turn.
 * With the embedded database every turn also runs a batch of ingests, synchronously: under load
 * a burst of N new connections is accepted over N batches, and the last one's first request
 * waits seconds (measured: all of a 9.9 s bench phase at 256 connections) while the connections
 * already accepted are answered in a few hundred milliseconds. Letting the loop turn, at no
 * other cost, for as long as each turn brings in a connection accepts the burst at once.
 */
@Injectable()
export class ConnectionArrivals {
  private accepted = 0;

  /** Counts the connections `server` accepts from now on. */
  watch(server: Server): void {
    server.on('connection', () => {
      this.accepted += 1;
    });
  }

  /**
   * Turns the event loop until a turn accepts no connection (the first turn may end before the
   * loop polls, so at least two). Cheap when none wait: two turns, microseconds.
   */
  async letWaitingConnectionsIn(): Promise<void> {
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      const before = this.accepted;
      await nextTurn();
      if (turn > 0 && this.accepted === before) return;
    }
  }
}
