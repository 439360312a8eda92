/**
 * `watchkeeper serve` (npm start): starts Watchkeeper ({@link startWatchkeeper}) and stops it
 * gracefully on SIGTERM or SIGINT — also when the signal arrives during start-up.
 */
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { startWatchkeeper } from '../main.ts';
import { CLI_EXIT } from './io.ts';

/**
 * Runs until a signal, then stops everything.
 * @returns 0 after a graceful stop.
 * @throws ConfigError when the configuration cannot serve; other errors when a dependency cannot start.
 */
export async function serve(): Promise<number> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { service: 'watchkeeper' } });
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection (kept running)'));
  // A signal during start-up stops as soon as start-up is done.
  let signalled: string | undefined;
  let wake: () => void = () => {};
  const onSignal = (signal: string) => {
    signalled ??= signal;
    wake();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const handle = await startWatchkeeper(config, { logger: log });
  if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
  log.info({ signal: signalled }, 'stopping gracefully');
  await handle.stop();
  log.info('stopped');
  return CLI_EXIT.ok;
}
