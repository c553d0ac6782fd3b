import { Client, Connection } from '@temporalio/client';

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
export function lazyTemporalClient(address: string, namespace: string) {
  const connection = Connection.lazy({ address });
  return { connection, client: new Client({ connection, namespace }) };
}
