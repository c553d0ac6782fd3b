// The API app on a real database with placeholders for Temporal, listening on a free port: for
// tests of routes that never call Temporal (segments, analytics, click tracking, dashboard).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { createApp } from '../../src/api/app';
import type { Config } from '../../src/config';
import type { Db } from '../../src/db';

export interface ServedApp {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  close(): Promise<void>;
}

export async function serveAppWithoutTemporal({ db, pool, config, unsubscribeSecret }: { db: Db; pool: pg.Pool; config: Config; unsubscribeSecret: string }): Promise<ServedApp> {
  const app = createApp({ db, pool, connection: {} as Connection, client: {} as Client, config, apiKeys: config.apiKeys!, unsubscribeSecret });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
