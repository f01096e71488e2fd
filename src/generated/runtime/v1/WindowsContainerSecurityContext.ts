// Original file: proto/runtime/v1/api.proto


/**
 * Windows container security: run-as user, gMSA credential spec, HostProcess.
 */
export interface WindowsContainerSecurityContext {
  'run_as_username'?: (string);
  'credential_spec'?: (string);
  'host_process'?: (boolean);
}

/**
 * Windows container security: run-as user, gMSA credential spec, HostProcess.
 */
export interface WindowsContainerSecurityContext__Output {
  'run_as_username': (string);
  'credential_spec': (string);
  'host_process': (boolean);
}
