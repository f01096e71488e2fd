import { describe, expect, it } from 'vitest';
import { toContainerDetails, toEngineInfo } from '../../../src/docker/engine-json.js';

/**
 * A container inspect answer's mounts, trimmed from Docker 29.8 (API 1.56) on the rig: a bind and
 * an image mount with a sub path. Inspect's `Mounts` names the image (as the create did) and where
 * the engine mounted it on its host; the sub path is only in `HostConfig.Mounts`.
 */
const INSPECT = {
  Id: 'c9b09d3cd8c2',
  Name: '/k8s_app',
  Mounts: [
    {
      Type: 'bind',
      Source: '/srv/data',
      Destination: '/data',
      Mode: '',
      RW: true,
      Propagation: 'rslave',
    },
    {
      Type: 'image',
      Name: 'sha256:a9a6e1ecf18650c94ff1895309a88ce3cc47d6ba7e907546918b220c2545ff90',
      Source: '/var/lib/docker/rootfs/overlayfs/c0bde01ee8c4',
      Destination: '/mnt/iv',
      Mode: '',
      RW: false,
      Propagation: 'rprivate',
    },
  ],
  HostConfig: {
    Mounts: [
      { Type: 'bind', Source: '/srv/data', Target: '/data', BindOptions: { Propagation: 'rslave' } },
      {
        Type: 'image',
        Source: 'sha256:a9a6e1ecf18650c94ff1895309a88ce3cc47d6ba7e907546918b220c2545ff90',
        Target: '/mnt/iv',
        ReadOnly: true,
        ImageOptions: { Subpath: 'etc' },
      },
    ],
  },
};

describe('toContainerDetails: mounts', () => {
  it('a bind as it was; an image mount with its image and its sub path from HostConfig.Mounts', () => {
    expect(toContainerDetails(INSPECT).hostConfig.mounts).toEqual([
      { type: 'bind', source: '/srv/data', target: '/data', readOnly: false, propagation: 'rslave' },
      {
        type: 'image',
        source: '/var/lib/docker/rootfs/overlayfs/c0bde01ee8c4',
        target: '/mnt/iv',
        readOnly: true,
        propagation: 'rprivate',
        image: 'sha256:a9a6e1ecf18650c94ff1895309a88ce3cc47d6ba7e907546918b220c2545ff90',
        imageSubpath: 'etc',
      },
    ]);
  });

  it('an image mount without a sub path has none', () => {
    const mounts = INSPECT.HostConfig.Mounts.map((m) => ({ ...m, ImageOptions: undefined }));
    const details = toContainerDetails({ ...INSPECT, HostConfig: { Mounts: mounts } });
    expect(details.hostConfig.mounts[1]).not.toHaveProperty('imageSubpath');
  });
});

describe('toEngineInfo: image store', () => {
  it("names the snapshotter of the containerd image store (Docker 29's /info)", () => {
    const info = toEngineInfo(
      { Driver: 'overlayfs', DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']] },
      {},
    );
    expect(info).toMatchObject({ storageDriver: 'overlayfs', snapshotter: 'overlayfs' });
  });

  it('names none for a graph driver (overlay2 on Docker 20.10 and 29)', () => {
    const info = toEngineInfo(
      {
        Driver: 'overlay2',
        DriverStatus: [
          ['Backing Filesystem', 'extfs'],
          ['Supports d_type', 'true'],
        ],
      },
      {},
    );
    expect(info.storageDriver).toBe('overlay2');
    expect(info).not.toHaveProperty('snapshotter');
  });
});
