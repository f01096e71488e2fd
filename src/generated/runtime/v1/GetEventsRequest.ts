// Original file: proto/runtime/v1/api.proto


/**
 * Opens the container event stream.
 */
export interface GetEventsRequest {
}

/**
 * Opens the container event stream.
 */
export interface GetEventsRequest__Output {
}
