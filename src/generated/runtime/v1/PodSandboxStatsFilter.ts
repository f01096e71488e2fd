// Original file: proto/runtime/v1/api.proto


/**
 * Filter for ListPodSandboxStats.
 */
export interface PodSandboxStatsFilter {
  'id'?: (string);
  'label_selector'?: ({[key: string]: string});
}

/**
 * Filter for ListPodSandboxStats.
 */
export interface PodSandboxStatsFilter__Output {
  'id': (string);
  'label_selector': ({[key: string]: string});
}
