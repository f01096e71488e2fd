// Original file: proto/runtime/v1/api.proto


/**
 * Identifies a filesystem by mountpoint.
 */
export interface FilesystemIdentifier {
  'mountpoint'?: (string);
}

/**
 * Identifies a filesystem by mountpoint.
 */
export interface FilesystemIdentifier__Output {
  'mountpoint': (string);
}
