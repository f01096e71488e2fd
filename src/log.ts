import { pino, type Logger } from 'pino';

/**
 * The one pino root. Registry credentials travel in PullImage's `auth` and in Docker's
 * X-Registry-Auth header; they are censored wherever a log line could carry them.
 */
export const REDACTED_PATHS = [
  'auth',
  '*.auth',
  '*.password',
  '*.identity_token',
  '*.registry_token',
  '*.identitytoken',
  '*.registrytoken',
  'req.auth',
  'headers["x-registry-auth"]',
  '*.headers["x-registry-auth"]',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'wincri' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
