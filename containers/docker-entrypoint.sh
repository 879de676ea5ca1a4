#!/bin/sh
# Entry point of the trackgate training image.
#   train [args...]      SageMaker calls the image with "train": run $SAGEMAKER_PROGRAM (train.py);
#                        with sagemaker_torch_distributed_enabled or TRACKGATE_NPROC > 1, via torchrun.
#   anything else        executed as given (e.g. `python simulate.py --epochs 2`).
# The trainer runs under trackgate_run.py, which uploads the event files a SummaryWriter writes to
# $TRACKGATE_TENSORBOARD_DIR (default /opt/ml/output/tensorboard, SageMaker's TensorBoard path) or
# ./runs; TRACKGATE_TAIL_TENSORBOARD=0 turns that off.
set -eu
if [ "${1:-train}" != "train" ]; then exec "$@"; fi
[ "$#" -gt 0 ] && shift
PROGRAM="${SAGEMAKER_PROGRAM:-train.py}"
cd "${SAGEMAKER_SUBMIT_DIRECTORY:-/opt/ml/code}"
export TRACKGATE_TENSORBOARD_DIR="${TRACKGATE_TENSORBOARD_DIR:-/opt/ml/output/tensorboard}"
TAIL="python /opt/ml/code/trackgate_run.py --"
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
  exec $TAIL torchrun --nnodes "$NNODES" --node_rank "$RANK" --nproc_per_node "$NPROC" \
    --master_addr "$MASTER" --master_port "${MASTER_PORT:-29500}" "$PROGRAM" "$@"
fi
exec $TAIL python "$PROGRAM" "$@"
