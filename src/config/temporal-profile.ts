import { existsSync } from 'node:fs';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';

/** What Temporal's client configuration gives a connection: the SDK's environment variables over its TOML profile. */
export interface TemporalConnection {
  address?: string;
  namespace: string;
  tls: boolean;
  apiKey?: string;
  clientCert?: ConfigDataSource;
  clientKey?: ConfigDataSource;
  serverCaCert?: ConfigDataSource;
  serverName?: string;
}

/** The project's own names, from before it read Temporal's: still read, each with a warning. */
export const DEPRECATED_TEMPORAL_VARIABLES = { TEMPORAL_TLS_CERT_PATH: 'TEMPORAL_TLS_CLIENT_CERT_PATH', TEMPORAL_TLS_KEY_PATH: 'TEMPORAL_TLS_CLIENT_KEY_PATH' } as const;

export interface TemporalVariables {
  TEMPORAL_ADDRESS?: string;
  TEMPORAL_NAMESPACE?: string;
  TEMPORAL_TLS?: boolean;
  TEMPORAL_API_KEY?: string;
  TEMPORAL_TLS_CLIENT_CERT_PATH?: string;
  TEMPORAL_TLS_CLIENT_KEY_PATH?: string;
  TEMPORAL_TLS_CERT_PATH?: string;
  TEMPORAL_TLS_KEY_PATH?: string;
  TEMPORAL_TLS_SERVER_CA_CERT_PATH?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
  TEMPORAL_PROFILE?: string;
  TEMPORAL_CONFIG_FILE?: string;
}

/** A problem with one variable, for loadConfig to report in its one line. */
export class TemporalProfileError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(message);
    this.variable = variable;
  }
}

/**
 * Resolves the connection as Temporal's SDKs and CLI do (the SDK's own loader, @temporalio/envconfig):
 * a profile (TEMPORAL_PROFILE, else `default`) of the TOML file (TEMPORAL_CONFIG_FILE, else
 * ~/.config/temporalio/temporal.toml, when there is one), under the environment variables.
 * `env` supplies HOME and the like, to find the default file.
 */
export function resolveTemporal(v: TemporalVariables, env: NodeJS.ProcessEnv, warn: (line: string) => void): TemporalConnection {
  if (v.TEMPORAL_CONFIG_FILE && !existsSync(v.TEMPORAL_CONFIG_FILE)) throw new TemporalProfileError('TEMPORAL_CONFIG_FILE', 'no such file');
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      profile: v.TEMPORAL_PROFILE,
      disableEnv: true,
      overrideEnvVars: { ...(env as Record<string, string>), ...(v.TEMPORAL_CONFIG_FILE ? { TEMPORAL_CONFIG_FILE: v.TEMPORAL_CONFIG_FILE } : {}) },
    });
  } catch (error) {
    const message = (error as Error).message;
    throw /Profile '.*' not found/.test(message) ? new TemporalProfileError('TEMPORAL_PROFILE', `no such profile in ${v.TEMPORAL_CONFIG_FILE ?? 'the Temporal config file'}`) : new TemporalProfileError('TEMPORAL_CONFIG_FILE', message.split('\n')[0]!);
  }
  for (const [old, standard] of Object.entries(DEPRECATED_TEMPORAL_VARIABLES)) {
    if (v[old as keyof typeof DEPRECATED_TEMPORAL_VARIABLES]) warn(`${old} is deprecated: use ${standard}, Temporal's standard name (the SDKs and the CLI read it too)`);
  }
  const path = (value: string | undefined) => (value ? { path: value } : undefined);
  const clientCert = path(v.TEMPORAL_TLS_CLIENT_CERT_PATH ?? v.TEMPORAL_TLS_CERT_PATH) ?? profile.tls?.clientCert;
  const clientKey = path(v.TEMPORAL_TLS_CLIENT_KEY_PATH ?? v.TEMPORAL_TLS_KEY_PATH) ?? profile.tls?.clientKey;
  if (Boolean(clientCert) !== Boolean(clientKey)) {
    throw new TemporalProfileError(clientCert ? 'TEMPORAL_TLS_CLIENT_KEY_PATH' : 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'required with the other half of the client certificate');
  }
  const apiKey = v.TEMPORAL_API_KEY ?? profile.apiKey;
  const serverCaCert = path(v.TEMPORAL_TLS_SERVER_CA_CERT_PATH) ?? profile.tls?.serverCACert;
  const serverName = v.TEMPORAL_TLS_SERVER_NAME ?? profile.tls?.serverName;
  // As the SDK decides: TLS when said, else when the profile has a tls table, an API key, or a client certificate.
  const tls = v.TEMPORAL_TLS ?? (profile.tls ? !profile.tls.disabled : Boolean(apiKey || clientCert || serverCaCert));
  return {
    ...(v.TEMPORAL_ADDRESS ?? profile.address ? { address: v.TEMPORAL_ADDRESS ?? profile.address } : {}),
    namespace: v.TEMPORAL_NAMESPACE ?? profile.namespace ?? 'default',
    tls,
    ...(apiKey ? { apiKey } : {}),
    ...(clientCert ? { clientCert, clientKey } : {}),
    ...(serverCaCert ? { serverCaCert } : {}),
    ...(serverName ? { serverName } : {}),
  };
}
