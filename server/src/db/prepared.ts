import { createHash } from 'node:crypto';

/**
 * A statement that carries this marker is prepared once per connection (a named statement of the extended
 * protocol, named by its text's hash) and from then on only bound and executed: PostgreSQL plans it a few
 * times, then keeps a generic plan when that costs no more. For the hot statements whose text never changes
 * (their values are parameters, lists are arrays), whose planning otherwise costs as much as their execution.
 * A statement whose text varies must not carry it: each text would stay prepared on every connection. Its
 * result names its columns, never `*`: PostgreSQL refuses to run a prepared statement whose result a migration
 * changed ("cached plan must not change result type"), as on an instance still running while another migrates.
 * Both engines: the PostgreSQL pool (failover.ts) and the embedded database's (connect.ts) send it so.
 */
export const PREPARED = '/* tally:prepared */';

/** The named-statement form of a marked statement's arguments (text, values), or the arguments as they are. */
export function preparedForm(args: unknown[]): unknown[] {
  const [text, values, ...rest] = args;
  if (typeof text !== 'string' || !text.includes(PREPARED) || typeof values === 'function') return args;
  const name = `tally_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
  return [{ name, text, values }, ...rest];
}
