// Original file: proto/runtime/v1/api.proto


/**
 * Pod DNS: servers, search domains and resolver options.
 */
export interface DNSConfig {
  'servers'?: (string)[];
  'searches'?: (string)[];
  'options'?: (string)[];
}

/**
 * Pod DNS: servers, search domains and resolver options.
 */
export interface DNSConfig__Output {
  'servers': (string)[];
  'searches': (string)[];
  'options': (string)[];
}
