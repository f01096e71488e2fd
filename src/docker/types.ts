/**
 * Docker Engine API shapes that wincri sends and reads (API 1.41+), in Docker's own PascalCase so a
 * mapper's output goes to the engine unchanged. Only the fields wincri uses are listed; the engine
 * ignores nothing we send, so every field here is one we mean.
 */

export type Isolation = 'default' | 'process' | 'hyperv';

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface BindOptions {
  Propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
  NonRecursive?: boolean;
  /** API 1.44+: read-only at the top only (before 1.44 every ReadOnly bind was). */
  ReadOnlyNonRecursive?: boolean;
  /** API 1.44+: read-only all the way down, or fail; needs ReadOnly and rprivate propagation. */
  ReadOnlyForceRecursive?: boolean;
}

/** API 1.48+: options of a mount of `Type: "image"`. */
export interface ImageOptions {
  /** A relative path inside the image to mount instead of its root; the engine checks it at start. */
  Subpath?: string;
}

export interface MountSpec {
  /** `image`: API 1.48+, Source is an image (id or name) the engine has. */
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'image';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: BindOptions;
  ImageOptions?: ImageOptions;
}

export interface WeightDevice {
  Path: string;
  Weight: number;
}

export interface ThrottleDevice {
  Path: string;
  Rate: number;
}

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** HostConfig resources, also the body of POST /containers/{id}/update. */
export interface Resources {
  CpuShares?: number;
  Memory?: number;
  NanoCpus?: number;
  CgroupParent?: string;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: DeviceMapping[];
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number;
  OomKillDisable?: boolean;
  PidsLimit?: number;
  Ulimits?: Ulimit[];
  BlkioWeight?: number;
  BlkioWeightDevice?: WeightDevice[];
  /** Windows only. */
  CpuCount?: number;
  /** Windows only: percent of the host's CPUs (1-100). */
  CpuPercent?: number;
  IOMaximumIOps?: number;
  IOMaximumBandwidth?: number;
}

export interface LogConfig {
  Type: string;
  Config?: Record<string, string>;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface HostConfig extends Resources {
  Binds?: string[];
  Mounts?: MountSpec[];
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[]>;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  CapAdd?: string[];
  CapDrop?: string[];
  Dns?: string[];
  DnsOptions?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[];
  GroupAdd?: string[];
  IpcMode?: string;
  PidMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[];
  StorageOpt?: Record<string, string>;
  Tmpfs?: Record<string, string>;
  ShmSize?: number;
  Sysctls?: Record<string, string>;
  Runtime?: string;
  Isolation?: Isolation;
  MaskedPaths?: string[];
  ReadonlyPaths?: string[];
  OomScoreAdj?: number;
  LogConfig?: LogConfig;
  Init?: boolean;
}

export interface ContainerCreateBody {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  Image: string;
  Labels?: Record<string, string>;
  WorkingDir?: string;
  StopSignal?: string;
  StopTimeout?: number;
  HostConfig?: HostConfig;
  NetworkingConfig?: Record<string, unknown>;
}
