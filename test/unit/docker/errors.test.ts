import { describe, expect, it } from 'vitest';
import { fromEngineError, isRemovalInProgress } from '../../../src/docker/errors.js';
import { CriError } from '../../../src/errors.js';

const httpError = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), {
    statusCode,
    json: { message },
  });

describe('engine errors become CriErrors once', () => {
  it.each([
    [httpError(400, 'bad parameter'), 'InvalidArgument'],
    [httpError(404, 'No such container: x'), 'NotFound'],
    [httpError(409, 'Conflict. The container name "/a" is already in use'), 'AlreadyExists'],
    [httpError(500, 'boom'), 'Internal'],
    [httpError(503, 'busy'), 'Unavailable'],
    [
      Object.assign(new Error('connect ECONNREFUSED /run/docker.sock'), { code: 'ECONNREFUSED' }),
      'Unavailable',
    ],
    [Object.assign(new Error('connect ENOENT /run/docker.sock'), { code: 'ENOENT' }), 'Unavailable'],
    [Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }), 'Cancelled'],
  ])('%s -> %s', (err, kind) => {
    expect(fromEngineError(err, 'do x', 'unix:///run/docker.sock').kind).toBe(kind);
  });

  it('keeps the engine words without dockerode prefix, and says what to do when the engine is away', () => {
    expect(fromEngineError(httpError(404, 'No such image: a:1'), 'inspect a:1', 'h').message).toBe(
      'inspect a:1: No such image: a:1',
    );
    const down = fromEngineError(
      Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
      'list images',
      'unix:///d.sock',
    );
    expect(down.message).toMatch(/does not answer.*is dockerd running.*--docker-host/);
  });

  it('lets an operation say what a status means for it', () => {
    expect(fromEngineError(httpError(409, 'in use'), 'remove', 'h', { 409: 'FailedPrecondition' }).kind).toBe(
      'FailedPrecondition',
    );
  });

  // The engine's own words when a concurrent removal took the object (moby v20.10.24 and the
  // Docker 29 source, b985e23): whatever the status, the caller hears NotFound.
  it.each([
    // 20.10, image inspect after the layer was released (daemon/images/image_inspect.go)
    [500, 'layer does not exist'],
    // 20.10, image delete after another delete took it (image/store.go Delete)
    [500, `unrecognized image ID sha256:${'b3'.repeat(32)}`],
    [
      500,
      `unrecognized image sha256:${'b3'.repeat(32)}, failed to get digest sha256:${'b3'.repeat(32)}: open /var/lib/docker/image/overlay2/imagedb/content/sha256/${'b3'.repeat(32)}: no such file or directory`,
    ],
    // 20.10, image inspect once the config file was deleted (LookupImage wraps image/fs.go)
    [
      500,
      `no such image: sha256:${'b3'.repeat(32)}: failed to get digest sha256:${'b3'.repeat(32)}: open /var/lib/docker/image/overlay2/imagedb/content/sha256/${'b3'.repeat(32)}: no such file or directory`,
    ],
    // 29 marks the same store answer as not found
    [404, `unrecognized image ID sha256:${'b3'.repeat(32)}`],
    [404, 'No such image: busybox:latest'],
    [404, 'No such container: 3f2a'],
    [500, 'No such container: 3f2a'],
    // 29 on the containerd image store, inspect racing a delete (daemon/containerd/image_inspect.go)
    [500, 'consistency error: data changed during operation, retry'],
  ])('%i %s -> NotFound', (status, message) => {
    const err = fromEngineError(httpError(status, message), `inspect image x`, 'h');
    expect(err.kind).toBe('NotFound');
    expect(err.message).toBe(`inspect image x: ${message}`);
  });

  it('leaves other failures that mention a missing file as they are', () => {
    const err = fromEngineError(httpError(500, 'open /etc/x: no such file or directory'), 'start', 'h');
    expect(err.kind).toBe('Internal');
    expect(fromEngineError(httpError(400, 'No such image: a'), 'x', 'h').kind).toBe('InvalidArgument');
  });

  it('tells a removal already under way from a container in use', () => {
    const overrides = { 409: 'FailedPrecondition' } as const;
    const inProgress = fromEngineError(
      httpError(409, 'removal of container 3f2a is already in progress'),
      'remove container 3f2a',
      'h',
      overrides,
    );
    expect(inProgress.kind).toBe('FailedPrecondition');
    expect(isRemovalInProgress(inProgress)).toBe(true);
    const inUse = fromEngineError(
      httpError(
        409,
        'You cannot remove a running container 3f2a. Stop the container before attempting removal or force remove',
      ),
      'remove container 3f2a',
      'h',
      overrides,
    );
    expect(isRemovalInProgress(inUse)).toBe(false);
  });

  it('passes a CriError through unchanged', () => {
    const original = new CriError('NotFound', 'x');
    expect(fromEngineError(original, 'y', 'h')).toBe(original);
  });
});
