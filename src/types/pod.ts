/**
 * Pod facts shared by the store (which keeps them in labels) and the platform mappers (which apply
 * them): plain data, no behaviour, so both layers can name them without importing each other.
 */

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface NamespaceOptions {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  targetId: string;
}

/** A PodSandboxConfig.port_mappings entry as kept in the sandbox's labels. */
export interface PodPortMapping {
  protocol: string;
  container_port: number;
  host_port: number;
  host_ip: string;
}

export interface PodDns {
  servers: string[];
  searches: string[];
  options: string[];
}
