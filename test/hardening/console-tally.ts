import { type Config, testConfig } from '../../server/src/config.js';
import { serveConsole } from '../../server/src/http/console.js';
import { ManualClock } from '../../server/src/platform/clock.js';
import { createTally, type Tally } from '../../server/src/server.js';
import { closeAfterFile, freshDatabase } from '../harness.js';

/**
 * A Tally with the console on a fresh database, built as the server builds it (not via startTestTally),
 * for tests of what the edge adds: headers, listeners. Closed, with its database, after the file's tests.
 */
export async function startConsoleTally(overrides: Partial<Config>): Promise<Tally> {
  const database = await freshDatabase(4);
  const tally = await createTally({
    config: testConfig(overrides),
    database,
    clock: new ManualClock('2026-11-02T08:00:00Z'),
    extend: serveConsole,
  });
  closeAfterFile(async () => {
    await tally.close();
    await database.close();
  });
  return tally;
}
