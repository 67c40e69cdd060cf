# Sourced by a campaign script: stops it (exit 3) unless the card it was lent is the one named, since a device lent
# as one kind can be another and figures that may choose a term or judge a machine must come from that machine.
# Usage: source calibration/campaign/require-card.sh H200
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
if [[ "$card" != *"$1"* ]]; then
  echo "this card is '$card', not an $1: nothing run"
  exit 3
fi
