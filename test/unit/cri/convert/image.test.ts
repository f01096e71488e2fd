import { describe, expect, it } from 'vitest';
import { imageUser, toCriImage } from '../../../../src/cri/convert/image.js';

describe('image user as the CRI reports it', () => {
  it.each([
    ['', null, ''],
    ['1002', { value: '1002' }, ''],
    ['0', { value: '0' }, ''],
    ['www-data', null, 'www-data'],
    ['1003:1004', { value: '1003' }, ''],
    ['www-data:1004', null, 'www-data'],
  ])('%j', (user, uid, username) => {
    expect(imageUser(user)).toEqual({ uid, username });
  });

  it('reports the engine image id as Image.id and spec.image', () => {
    const image = toCriImage(
      { id: 'sha256:abc', repoTags: ['a:1'], repoDigests: [], sizeBytes: 42, user: '7' },
      true,
    );
    expect(image).toMatchObject({
      id: 'sha256:abc',
      size: '42',
      pinned: true,
      spec: { image: 'sha256:abc' },
      uid: { value: '7' },
    });
  });
});
