/**
 * GPUs per training instance type (AWS instance specs), for the "ddp/fsdp need ≥ 2 GPUs" rule.
 * A type missing here is assumed to have one accelerator if it is a GPU family.
 */
const GPUS: Readonly<Record<string, number>> = {
  'ml.p2.xlarge': 1,
  'ml.p2.8xlarge': 8,
  'ml.p2.16xlarge': 16,
  'ml.p3.2xlarge': 1,
  'ml.p3.8xlarge': 4,
  'ml.p3.16xlarge': 8,
  'ml.p3dn.24xlarge': 8,
  'ml.p4d.24xlarge': 8,
  'ml.p4de.24xlarge': 8,
  'ml.p5.4xlarge': 1,
  'ml.p5.48xlarge': 8,
  'ml.p5e.48xlarge': 8,
  'ml.p5en.48xlarge': 8,
  'ml.p6-b200.48xlarge': 8,
  'ml.p6-b300.48xlarge': 8,
  'ml.p6e-gb200.36xlarge': 4,
  'ml.g4dn.xlarge': 1,
  'ml.g4dn.2xlarge': 1,
  'ml.g4dn.4xlarge': 1,
  'ml.g4dn.8xlarge': 1,
  'ml.g4dn.12xlarge': 4,
  'ml.g4dn.16xlarge': 1,
  'ml.g5.xlarge': 1,
  'ml.g5.2xlarge': 1,
  'ml.g5.4xlarge': 1,
  'ml.g5.8xlarge': 1,
  'ml.g5.16xlarge': 1,
  'ml.g5.12xlarge': 4,
  'ml.g5.24xlarge': 4,
  'ml.g5.48xlarge': 8,
  'ml.g6.xlarge': 1,
  'ml.g6.2xlarge': 1,
  'ml.g6.4xlarge': 1,
  'ml.g6.8xlarge': 1,
  'ml.g6.16xlarge': 1,
  'ml.g6.12xlarge': 4,
  'ml.g6.24xlarge': 4,
  'ml.g6.48xlarge': 8,
  'ml.g6e.xlarge': 1,
  'ml.g6e.2xlarge': 1,
  'ml.g6e.4xlarge': 1,
  'ml.g6e.8xlarge': 1,
  'ml.g6e.16xlarge': 1,
  'ml.g6e.12xlarge': 4,
  'ml.g6e.24xlarge': 4,
  'ml.g6e.48xlarge': 8
}

export function gpusPerInstance (instanceType: string, isGpu: boolean): number {
  return GPUS[instanceType] ?? (isGpu ? 1 : 0)
}
