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
