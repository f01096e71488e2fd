import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The self-signed certificate and key the streaming tests serve HTTPS with. */
export function testTls(): { cert: Buffer; key: Buffer } {
  const fixtures = path.resolve(import.meta.dirname, '../../../fixtures/streaming');
  return {
    cert: readFileSync(path.join(fixtures, 'tls-cert.pem')),
    key: readFileSync(path.join(fixtures, 'tls-key.pem')),
  };
}
