/**
 * The bytes in each container's writable layer, for ContainerStats.writable_layer. Docker reports
 * them only from a listing with sizes, which walks every container's layer: one such listing every
 * `intervalMs` (six stats intervals by default: a minute) serves every stats RPC in between from
 * memory. Inodes are not reported: Docker does not count them.
 */
export interface ContainerSizesSource {
  containerSizes(signal: AbortSignal): Promise<Map<string, number>>;
}

export interface WritableLayerReading {
  usedBytes: bigint;
  timestampNs: bigint;
}

export class WritableLayers {
  #sizes = new Map<string, WritableLayerReading>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly source: ContainerSizesSource,
    private readonly intervalMs: number,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  start(): void {
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  get(id: string): WritableLayerReading | undefined {
    return this.#sizes.get(id);
  }

  /** One listing with sizes; a failure keeps the last readings (logged, never thrown). */
  async refresh(): Promise<void> {
    try {
      const sizes = await this.source.containerSizes(AbortSignal.timeout(this.intervalMs));
      const timestampNs = BigInt(Date.now()) * 1_000_000n;
      this.#sizes = new Map([...sizes].map(([id, bytes]) => [id, { usedBytes: BigInt(bytes), timestampNs }]));
    } catch (err) {
      this.log.warn({ err }, 'could not read the writable layer sizes; keeping the last ones');
    }
  }
}
