import { createServer } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll } from 'vitest';

/** A port nothing listens on (yet): a dead SMTP server until `startSmtp(port)`. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Inbox {
  port: number;
  url: string;
  mails: ParsedMail[];
  /** the mails to an address */
  to: (address: string) => ParsedMail[];
  close: () => Promise<void>;
}

/** A real SMTP server in-process (plain SMTP, no auth), each mail parsed as it arrives; closed after the file. */
export async function startSmtp(port = 0): Promise<Inbox> {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((m) => {
          mails.push(m);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.server.address() as { port: number }).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  afterAll(close);
  const addresses = (m: ParsedMail) =>
    (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address));
  return {
    port: bound,
    url: `smtp://127.0.0.1:${bound}`,
    mails,
    to: (address) => mails.filter((m) => addresses(m).includes(address)),
    close,
  };
}
