/**
 * The platform mapper for the engine at hand, chosen at run time from the engine's `OSType`: one
 * wincri binary serves a Linux or a Windows engine. The Windows mapper (src/platform/windows.ts) is
 * being written beside this; until it is wired here a Windows engine gets UNIMPLEMENTED for pod and
 * container creation, never a Linux body sent to a Windows engine.
 */
import { unimplemented } from '../errors.js';
import type { HostOs } from './host-facts.js';
import * as linux from './linux.js';

export interface PlatformMapper {
  os: HostOs;
  sandboxCreateBody: typeof linux.sandboxCreateBody;
  containerCreateBody: typeof linux.containerCreateBody;
}

const LINUX: PlatformMapper = {
  os: 'linux',
  sandboxCreateBody: linux.sandboxCreateBody,
  containerCreateBody: linux.containerCreateBody,
};

export function platformFor(os: HostOs): PlatformMapper {
  if (os === 'linux') return LINUX;
  throw unimplemented('pods on a Windows engine need the Windows mapper (src/platform/windows.ts), which is not wired into this build yet');
}
