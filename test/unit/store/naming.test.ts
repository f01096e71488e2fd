import { describe, expect, it } from 'vitest';
import { containerName, sandboxName } from '../../../src/store/naming.js';
import { CriError } from '../../../src/errors.js';

const pod = { name: 'nginx-7c5', namespace: 'default', uid: '0b7e-11ef-9a3c', attempt: 2 };

describe('Docker names carry the pod identity', () => {
  it.each([
    [pod, 'k8s_POD_nginx-7c5_default_0b7e-11ef-9a3c_2'],
    [{ ...pod, name: 'a.b', attempt: 0 }, 'k8s_POD_a.b_default_0b7e-11ef-9a3c_0'],
  ])('sandbox %j -> %s', (identity, expected) => {
    expect(sandboxName(identity)).toBe(expected);
  });

  it('names a container after itself, its pod and its own attempt', () => {
    expect(containerName({ name: 'web', attempt: 3 }, pod)).toBe(
      'k8s_web_nginx-7c5_default_0b7e-11ef-9a3c_3',
    );
  });

  it.each([
    [{ ...pod, name: '' }, 'config.metadata.name is required'],
    [{ ...pod, namespace: '' }, 'config.metadata.namespace is required'],
    [{ ...pod, uid: '' }, 'config.metadata.uid is required'],
    [{ ...pod, name: 'a_b' }, 'cannot be part of a Docker container name'],
    [{ ...pod, namespace: 'ns/x' }, 'config.metadata.namespace "ns/x" cannot be part'],
    [{ ...pod, uid: '-x' }, 'starting with a letter or digit'],
    [{ ...pod, attempt: -1 }, 'attempt must be a non-negative integer'],
  ])('refuses %j with INVALID_ARGUMENT', (identity, message) => {
    let caught: unknown;
    try {
      sandboxName(identity);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CriError);
    expect((caught as CriError).kind).toBe('InvalidArgument');
    expect((caught as CriError).message).toContain(message);
  });

  it.each([
    [{ name: 'POD', attempt: 0 }, 'reserved'],
    [{ name: 'we b', attempt: 0 }, 'config.metadata.name "we b"'],
    [{ name: '', attempt: 0 }, 'config.metadata.name is required'],
  ])('refuses container %j', (container, message) => {
    expect(() => containerName(container, pod)).toThrow(message);
  });

  it('keeps different pods apart: no two identities share a name', () => {
    const a = sandboxName({ name: 'a-b', namespace: 'c', uid: 'u', attempt: 0 });
    const b = sandboxName({ name: 'a', namespace: 'b-c', uid: 'u', attempt: 0 });
    expect(a).not.toBe(b);
  });
});
