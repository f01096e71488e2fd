// Original file: proto/runtime/v1/api.proto


/**
 * Name, help text and label keys of one metric.
 */
export interface MetricDescriptor {
  'name'?: (string);
  'help'?: (string);
  'label_keys'?: (string)[];
}

/**
 * Name, help text and label keys of one metric.
 */
export interface MetricDescriptor__Output {
  'name': (string);
  'help': (string);
  'label_keys': (string)[];
}
