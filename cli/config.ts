/** `watchkeeper config`: the parsed configuration as JSON, secrets masked. */
import { type Config, loadConfig } from '../config.ts';
import { CLI_EXIT, type CliIo } from './io.ts';

/**
 * Prints the configuration read from the environment.
 * @returns 0.
 * @throws ConfigError when the environment does not parse (the dispatcher prints it, exit 2).
 */
export function configCommand(io: CliIo): number {
  io.stdout(`${JSON.stringify(maskSecrets(loadConfig()), null, 2)}\n`);
  return CLI_EXIT.ok;
}

/**
 * The configuration with secrets masked: values of keys naming a token, password, API key or
 * secret become `***`, and credentials in `url` values become `//***@`.
 */
export function maskSecrets(config: Readonly<Config>): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value) =>
      /token|password|apiKey|secret/i.test(key) && typeof value === 'string' ? '***' : key === 'url' && typeof value === 'string' ? value.replace(/\/\/[^@]*@/, '//***@') : value,
    ),
  );
}
