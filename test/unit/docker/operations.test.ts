import { describe, expect, it } from 'vitest';
import { engineOperation } from '../../../src/docker/operations.js';

describe('engineOperation (the engine call label)', () => {
  it.each([
    ['GET', '/_ping', 'GET /_ping'],
    ['GET', '/containers/json', 'GET /containers/json'],
    ['POST', '/containers/create', 'POST /containers/create'],
    ['GET', '/containers/4f2a9c/json', 'GET /containers/{id}/json'],
    ['GET', '/containers/4f2a9c/stats', 'GET /containers/{id}/stats'],
    ['DELETE', '/containers/4f2a9c', 'DELETE /containers/{id}'],
    ['POST', '/exec/77aa/start', 'POST /exec/{id}/start'],
    ['GET', '/images/json', 'GET /images/json'],
    ['POST', '/images/create', 'POST /images/create'],
    ['GET', '/images/docker.io/library/busybox:latest/json', 'GET /images/{name}/json'],
    ['POST', '/images/127.0.0.1:5000/a/b:1/tag', 'POST /images/{name}/tag'],
    ['DELETE', '/images/sha256:0123abcd', 'DELETE /images/{name}'],
  ])('%s %s -> %s', (method, path, expected) => {
    expect(engineOperation(method, path)).toBe(expected);
  });
});
