import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';

/** TLS and API key for Temporal Cloud (or any secured Temporal), for Connection and NativeConnection alike. */
export interface TemporalSecurity {
  tls?: { clientCertPair: { crt: Buffer; key: Buffer } } | true;
  apiKey?: string;
}

/** TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY (PEM files), TEMPORAL_TLS, TEMPORAL_API_KEY as connection options. */
export function temporalSecurity(temporal: Config['temporal']): TemporalSecurity {
  const { tls, apiKey } = temporal;
  return {
    ...(tls ? { tls: tls.certPath && tls.keyPath ? { clientCertPair: { crt: fs.readFileSync(tls.certPath), key: fs.readFileSync(tls.keyPath) } } : true } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** Connects to Temporal, retrying while a just-started server finishes booting. */
export async function connectTemporal(address: string, namespace: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address });
      return { connection, client: new Client({ connection, namespace }) };
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`cannot reach Temporal at ${address}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * A client that connects on first use and reconnects by itself: for the API and the
 * dispatcher, which must start and keep working while Temporal is away (events wait).
 */
export function lazyTemporalClient(address: string, namespace: string, security: TemporalSecurity = {}) {
  const connection = Connection.lazy({ address, ...security });
  return { connection, client: new Client({ connection, namespace }) };
}
