// The hardware figures the cost lessons compute with, each with its source. Vendor peak figures: real
// transfers reach some fraction of them, so every time computed from these is a lower bound.

/** A link between devices, with its peak bandwidth per direction in bytes per second. */
export interface Link {
  id: string;
  label: string;
  bytesPerSecond: number;
  source: string;
}

/** PCIe x16 per direction: lanes × transfer rate × 128b/130b encoding ÷ 8 bits (PCI-SIG base specifications 4.0 and 5.0). */
function pcieX16(gigaTransfers: number): number {
  return (16 * gigaTransfers * 1e9 * 128) / 130 / 8;
}

export const LINKS: readonly Link[] = [
  {
    id: 'pcie4',
    label: 'PCIe 4.0 x16',
    bytesPerSecond: pcieX16(16),
    source: 'PCI-SIG PCIe 4.0 base specification: 16 GT/s per lane, 128b/130b encoding; 16 lanes, one direction',
  },
  {
    id: 'pcie5',
    label: 'PCIe 5.0 x16',
    bytesPerSecond: pcieX16(32),
    source:
      'PCI-SIG PCIe 5.0 base specification: 32 GT/s per lane; NVIDIA lists 128 GB/s for both directions of an H100',
  },
  {
    id: 'ib-ndr',
    label: 'InfiniBand NDR (400 Gb/s)',
    bytesPerSecond: 400e9 / 8,
    source: 'NVIDIA ConnectX-7 / Quantum-2 NDR: 400 Gb/s per port, one direction',
  },
  {
    id: 'nvlink4',
    label: 'NVLink 4 (H100 SXM)',
    bytesPerSecond: 900e9 / 2,
    source: 'NVIDIA H100 datasheet: 900 GB/s NVLink per GPU, both directions together',
  },
];

/** An accelerator's memory and its peak dense bf16 matrix throughput. */
export interface Accelerator {
  id: string;
  label: string;
  memoryBytes: number;
  bf16FlopsPerSecond: number;
  source: string;
}

export const ACCELERATORS: readonly Accelerator[] = [
  {
    id: 'rtx4090',
    label: 'RTX 4090 (24 GB)',
    memoryBytes: 24e9,
    bf16FlopsPerSecond: 165.2e12,
    source:
      'NVIDIA Ada GPU architecture whitepaper, RTX 4090: 24 GB, 165.2 dense FP16/BF16 tensor TFLOPS (FP32 accumulate 82.6 on GeForce)',
  },
  {
    id: 'a100-80',
    label: 'A100 (80 GB)',
    memoryBytes: 80e9,
    bf16FlopsPerSecond: 312e12,
    source: 'NVIDIA A100 datasheet: 80 GB, 312 dense BF16 tensor TFLOPS',
  },
  {
    id: 'h100-sxm',
    label: 'H100 SXM (80 GB)',
    memoryBytes: 80e9,
    bf16FlopsPerSecond: 989.4e12,
    source: 'NVIDIA H100 datasheet: 80 GB, 1,979 BF16 tensor TFLOPS with 2:4 sparsity, so 989.4 dense',
  },
  {
    id: 'h200',
    label: 'H200 (141 GB)',
    memoryBytes: 141e9,
    bf16FlopsPerSecond: 989.4e12,
    source: 'NVIDIA H200 datasheet: 141 GB, the H100 SXM’s tensor throughput',
  },
];

export function linkById(id: string): Link {
  const link = LINKS.find((l) => l.id === id);
  if (!link) throw new RangeError(`Unknown link "${id}"; choose one of ${LINKS.map((l) => l.id).join(', ')}.`);
  return link;
}

export function acceleratorById(id: string): Accelerator {
  const a = ACCELERATORS.find((x) => x.id === id);
  if (!a)
    throw new RangeError(`Unknown accelerator "${id}"; choose one of ${ACCELERATORS.map((x) => x.id).join(', ')}.`);
  return a;
}
