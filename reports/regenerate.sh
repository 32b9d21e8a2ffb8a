#!/usr/bin/env bash
# Regenerates every committed report from the shipped specs (run from anywhere; about a minute on
# 2 cores after the build). Each `fit` lists the files of the earlier report that it replaces.
set -euo pipefail
cd "$(dirname "$0")/.."
twolevel() { cargo run --quiet -- "$@"; }

# The default example: fit, 200 cluster-bootstrap replicates (its spec's [bootstrap]), figures and tables.
twolevel --threads 2 fit estimation/eu_renegotiation.toml
# Its counterfactual reforms, by ratification route.
twolevel counterfactual estimation/eu_renegotiation.toml \
    estimation/eu_renegotiation.scenarios.toml --group route
# The other shipped specs.
for spec in eu_oneshot eu_referendum_separation referendums_oneshot referendums_renegotiation; do
    twolevel fit "estimation/$spec.toml"
done
# One-shot against renegotiation, side by side with the multinomial-logit benchmark.
twolevel compare estimation/eu_oneshot.toml estimation/eu_renegotiation.toml --out reports/comparison
