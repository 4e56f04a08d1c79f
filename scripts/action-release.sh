#!/usr/bin/env bash
# scripts/action-release.sh TAG: makes TAG a release of the GitHub Action — one commit on top of HEAD that adds the
# prebuilt CLI (dist/bundle/, from `npm run compile`), so a job using `<owner>/phasegate@TAG` starts it as it is and
# installs only the native SQLite driver (action.yml's setup step). The bundle is generated, so main never carries it;
# .github/workflows/action-release.yml runs this and pushes the tag.
set -euo pipefail
tag="${1:?usage: scripts/action-release.sh TAG}"
cd "$(dirname "$0")/.."
[[ -f dist/bundle/start.js ]] || { echo "no dist/bundle/start.js: run npm run compile first" >&2; exit 2; }
[[ -z "$(git status --porcelain --untracked-files=no)" ]] || { echo "the work tree has changes: commit them first" >&2; exit 2; }
source="$(git rev-parse HEAD)"
git add --force dist/bundle
git -c user.name="${GIT_AUTHOR_NAME:-phasegate release}" -c user.email="${GIT_AUTHOR_EMAIL:-release@phasegate.invalid}" \
  commit --quiet --no-verify -m "Action release $tag: the prebuilt CLI (dist/bundle/) of $source"
git tag --annotate --force "$tag" -m "phasegate Action $tag (sources: $source)"
# Back on the sources, so the generated commit is reachable from the tag only.
git reset --quiet --soft "$source" && git reset --quiet dist/bundle
echo "tagged $tag: $(git rev-parse "$tag^{commit}") (sources $source)"
