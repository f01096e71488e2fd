import { describe, expect, it } from 'vitest';
import { fromEngineError } from '../../../src/docker/errors.js';
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

  it('passes a CriError through unchanged', () => {
    const original = new CriError('NotFound', 'x');
    expect(fromEngineError(original, 'y', 'h')).toBe(original);
  });
});
