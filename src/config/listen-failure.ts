import { ConfigError } from './config.ts';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is in use',
  EACCES: 'not allowed to listen there',
  EADDRNOTAVAIL: 'no such address on this machine',
};

/**
 * A listener that can't bind stops start-up with one line naming the variables that chose its
 * address: "listen EADDRINUSE 127.0.0.1:9464" alone doesn't say which of a process's ports to change.
 */
export async function listenOrExplain(variables: { host: string; port: string }, address: { host: string; port: number }, listen: () => Promise<unknown>): Promise<void> {
  try {
    await listen();
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (!(code in REASONS)) throw error;
    const variable = code === 'EADDRNOTAVAIL' ? variables.host : variables.port;
    throw Object.assign(new ConfigError(`${variable}: can't listen on ${address.host}:${address.port}: ${REASONS[code]} (${code})`), { cause: error });
  }
}
