// Original file: proto/runtime/v1/api.proto


/**
 * Identifies a pod: name, uid, namespace and attempt; we keep it in container labels.
 */
export interface PodSandboxMetadata {
  'name'?: (string);
  'uid'?: (string);
  'namespace'?: (string);
  'attempt'?: (number);
}

/**
 * Identifies a pod: name, uid, namespace and attempt; we keep it in container labels.
 */
export interface PodSandboxMetadata__Output {
  'name': (string);
  'uid': (string);
  'namespace': (string);
  'attempt': (number);
}
