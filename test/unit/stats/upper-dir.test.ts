import { describe, expect, it } from 'vitest';
import { rootOverlayUpperDir, upperDirOfProcess } from '../../../src/stats/upper-dir.js';

const SNAP = '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs';

// Shaped like /proc/<pid>/mountinfo of a container on Docker 29's containerd image store.
const containerd = [
  `1601 1504 0:112 / / rw,relatime master:700 - overlay overlay rw,lowerdir=${SNAP}/snapshots/3/fs:${SNAP}/snapshots/2/fs,upperdir=${SNAP}/snapshots/9/fs,workdir=${SNAP}/snapshots/9/work`,
  '1602 1601 0:115 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
  '1603 1601 0:116 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755',
].join('\n');

describe('rootOverlayUpperDir', () => {
  it("takes the upper dir of the overlay on / and the snapshotter's root as its filesystem", () => {
    expect(rootOverlayUpperDir(containerd)).toEqual({
      upperDir: `${SNAP}/snapshots/9/fs`,
      mountpoint: SNAP,
      count: 'allocated',
    });
  });

  it('an overlay2 diff dir is its own mountpoint (the caller keeps the data root), sized as Docker sizes it', () => {
    const info =
      '10 1 0:50 / / rw - overlay overlay rw,lowerdir=/d/overlay2/l/A,upperdir=/d/overlay2/x/diff,workdir=/d/overlay2/x/work';
    expect(rootOverlayUpperDir(info)).toEqual({
      upperDir: '/d/overlay2/x/diff',
      mountpoint: '/d/overlay2/x/diff',
      count: 'apparent',
    });
  });

  it('undoes the escapes of mountinfo (octal) and of overlayfs (a comma in a path)', () => {
    const info =
      '10 1 0:50 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/with\\040space\\,comma/fs,workdir=/w';
    expect(rootOverlayUpperDir(info)?.upperDir).toBe('/with space,comma/fs');
  });

  it('nothing when / is not an overlay, or a later mount hides the overlay', () => {
    expect(rootOverlayUpperDir('10 1 8:1 / / rw - ext4 /dev/vda rw')).toBeUndefined();
    expect(rootOverlayUpperDir(`${containerd}\n1700 1601 8:1 / / rw - ext4 /dev/vda rw`)).toBeUndefined();
    expect(rootOverlayUpperDir('10 1 0:50 / / rw - overlay overlay rw,lowerdir=/l')).toBeUndefined();
    expect(rootOverlayUpperDir('')).toBeUndefined();
  });
});

describe('upperDirOfProcess', () => {
  it('nothing for a pid that is not a process (the container stopped)', () => {
    expect(upperDirOfProcess(0)).toBeUndefined();
    expect(upperDirOfProcess(2 ** 30)).toBeUndefined();
  });
});
