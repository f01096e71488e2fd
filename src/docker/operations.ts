/**
 * An engine API call's operation, as a metric label: the method and the path with every name or id
 * replaced by a placeholder (`GET /containers/{id}/json`), so the label set stays small however
 * many containers and images come and go.
 */
export function engineOperation(method: string, path: string): string {
  const template = path
    // Image names contain slashes (docker.io/library/busybox:latest): everything up to the action.
    .replace(
      /^\/images\/(?!json$|create$|load$|prune$|search$|get$).+?(\/(?:json|tag|push|history|get))?$/,
      '/images/{name}$1',
    )
    .replace(/^\/(containers|exec|networks|volumes|plugins)\/(?!json$|create$|prune$)[^/]+/, '/$1/{id}');
  return `${method} ${template}`;
}
