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

export type LogFormat = 'json' | 'text';

/**
 * `json`: pino's JSON lines on stdout (for a log shipper). `text`: the same lines made readable by
 * pino-pretty in pino's transport worker thread, so formatting never runs on the thread that
 * answers the kubelet.
 */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  format: LogFormat = 'json',
): Logger {
  const options = {
    level,
    base: { service: 'wincri' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  if (format === 'text')
    return pino(
      options,
      pino.transport({
        target: 'pino-pretty',
        options: {
          destination: 1,
          colorize: false,
          translateTime: 'SYS:standard',
          ignore: 'pid,hostname,service',
        },
      }),
    );
  return pino(options);
}
