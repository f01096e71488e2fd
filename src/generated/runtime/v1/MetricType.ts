// Original file: proto/runtime/v1/api.proto

/**
 * Prometheus metric type.
 */
export const MetricType = {
  COUNTER: 'COUNTER',
  GAUGE: 'GAUGE',
} as const;

/**
 * Prometheus metric type.
 */
export type MetricType =
  | 'COUNTER'
  | 0
  | 'GAUGE'
  | 1

/**
 * Prometheus metric type.
 */
export type MetricType__Output = typeof MetricType[keyof typeof MetricType]
