#!/bin/sh
# Entry point of the trackgate training image.
#   train [args...]      SageMaker calls the image with "train": run $SAGEMAKER_PROGRAM (train.py);
#                        with sagemaker_torch_distributed_enabled or TRACKGATE_NPROC > 1, via torchrun.
#   anything else        executed as given (e.g. `python simulate.py --epochs 2`).
set -eu
if [ "${1:-train}" != "train" ]; then exec "$@"; fi
[ "$#" -gt 0 ] && shift
PROGRAM="${SAGEMAKER_PROGRAM:-train.py}"
cd "${SAGEMAKER_SUBMIT_DIRECTORY:-/opt/ml/code}"
NPROC="${TRACKGATE_NPROC:-}"
if [ -z "$NPROC" ]; then
  case "${SM_HPS:-}" in
    *'"sagemaker_torch_distributed_enabled": "true"'*|*'"sagemaker_torch_distributed_enabled":"true"'*|*'"sagemaker_torch_distributed_enabled": true'*)
      NPROC="$(python -c 'import torch; print(max(1, torch.cuda.device_count()))')" ;;
    *) NPROC=1 ;;
  esac
fi
HOSTS="${SM_HOSTS:-[\"localhost\"]}"
NNODES="$(python -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$HOSTS")"
if [ "$NPROC" -gt 1 ] || [ "$NNODES" -gt 1 ]; then
  MASTER="$(python -c 'import json,sys; print(json.loads(sys.argv[1])[0])' "$HOSTS")"
  RANK="$(python -c 'import json,sys; h=json.loads(sys.argv[1]); print(h.index(sys.argv[2]) if sys.argv[2] in h else 0)' "$HOSTS" "${SM_CURRENT_HOST:-localhost}")"
  exec torchrun --nnodes "$NNODES" --node_rank "$RANK" --nproc_per_node "$NPROC" \
    --master_addr "$MASTER" --master_port "${MASTER_PORT:-29500}" "$PROGRAM" "$@"
fi
exec python "$PROGRAM" "$@"
