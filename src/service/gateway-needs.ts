import type { Config, Env } from '../config/config.ts';
import { loadSourceSecrets } from '../gateway/secrets.ts';

/**
 * What the gateway role needs from config: Kafka and its sources' secrets, never Temporal or its keys.
 * The secrets are parsed here too, so a bad GATEWAY_SECRETS stops `oms start` before any role starts.
 */
export function gatewayNeeds(config: Config): [keyof Env, unknown][] {
  const secrets = config.gateway.secrets ?? config.gateway.secretsFile;
  if (secrets !== undefined) loadSourceSecrets(config.gateway);
  return [
    ['KAFKA_BROKERS', config.kafka.brokers],
    ['GATEWAY_SECRETS', secrets],
  ];
}
