/**
 * Task files as the Python SDK (flow-compute) writes them, for the "runs unchanged" checks.
 *
 * PYTHON_README_SAMPLE is the "YAML Configuration" example of the flow-compute README, verbatim.
 * pythonTaskYaml() has every field of the Python template (task_full.yaml: name, unique_name,
 * instance_type, num_instances, region, priority, image, working_dir, upload_code, command as a
 * `|` block, env, ports, max_price_per_hour, volumes, ssh_keys, max_run_time_hours,
 * terminate_on_exit, ...) with Python's defaults where it has them, nulls and older keys
 * (allow_docker_cache) included. Two values are chosen for a CPU-only test machine: instance_type
 * "cpu" (the README asks for 4xa100) and a volume mount path inside the test's temp folder.
 * Files exactly as flow-compute 3.28's TaskConfig.to_yaml() writes them are the corpus in
 * test/fixtures/python-3.28 (expectations in python-corpus.ts).
 */
export const PYTHON_README_SAMPLE = `# config.yaml
name: model-training
instance_type: 4xa100
command: python train.py --epochs 100
env:
  BATCH_SIZE: "256"
  LEARNING_RATE: "0.001"
volumes:
  - size_gb: 500
    mount_path: /data
    name: training-data
max_price_per_hour: 20.0
max_run_time_hours: 72.0
ssh_keys:
  - my-ssh-key
`;

export function pythonTaskYaml(mountPath: string): string {
  return `# Flow task written for the Python SDK (snake_case TaskConfig fields)
name: model-training
unique_name: true
instance_type: cpu
min_gpu_memory_gb: null
num_instances: 1
region: us-central1-b
priority: med
image: nvidia/cuda:12.1.0-runtime-ubuntu22.04
working_dir: /workspace
upload_code: true
command: |
  echo "training: batch=$BATCH_SIZE lr=$LEARNING_RATE"
  echo "rank $FLOW_NODE_RANK of $FLOW_NUM_NODES"
  echo "epoch 1 done" > ${mountPath}/checkpoint.txt
  cat ${mountPath}/checkpoint.txt
env:
  BATCH_SIZE: "256"
  LEARNING_RATE: "0.001"
ports:
  - 8080
volumes:
  - name: training-data
    size_gb: 5
    interface: block
    mount_path: ${mountPath}
max_price_per_hour: 20.0
max_run_time_hours: 72.0
ssh_keys:
  - my-ssh-key
terminate_on_exit: false
allow_docker_cache: false
data_mounts: []
retries: null
allocation_mode: spot
distributed_mode: null
upload_strategy: auto
upload_timeout: 600
`;
}
